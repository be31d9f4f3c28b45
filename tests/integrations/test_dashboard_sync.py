"""The dashboard's connections panel: last sync, next sync ≈ last + SYNC_INTERVAL_MINUTES or
"syncing now", errors with what to do, and a revoked connection whose data is kept."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import NEXT_STEPS, ConnectionStatus
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def _panel(client, organization) -> str:
    html = client.get(reverse("tenants:dashboard", args=[organization.slug])).content.decode()
    return html[html.index('id="sync-state"') :] if 'id="sync-state"' in html else ""


def test_no_connection_no_panel(owner_client, organization):
    assert _panel(owner_client, organization) == ""


def test_last_and_next_sync(owner_client, organization, settings):
    settings.SYNC_INTERVAL_MINUTES = 15
    ConnectionFactory(
        organization=organization,
        subdomain="acme",
        last_synced_at=timezone.now() - timedelta(minutes=5),
    )
    panel = _panel(owner_client, organization)
    assert "PagerDuty acme" in panel and "Connected" in panel
    assert "Last sync" in panel and "minutes ago" in panel
    assert "next ≈" in panel and "minutes from now" in panel


def test_an_overdue_next_sync_says_due_now(owner_client, organization, settings):
    settings.SYNC_INTERVAL_MINUTES = 15
    ConnectionFactory(organization=organization, last_synced_at=timezone.now() - timedelta(hours=2))
    assert "next due now (every 15 min)" in _panel(owner_client, organization)


def test_syncing_now(owner_client, organization):
    ConnectionFactory(
        organization=organization,
        last_synced_at=timezone.now() - timedelta(minutes=20),
        sync_lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    panel = _panel(owner_client, organization)
    assert "Syncing now" in panel and "next ≈" not in panel


def test_never_synced(owner_client, organization, settings):
    settings.SYNC_INTERVAL_MINUTES = 15
    ConnectionFactory(organization=organization)
    assert "Not synced yet: the first sync starts within 15 minutes" in _panel(
        owner_client, organization
    )


def test_an_error_says_what_to_do(owner_client, organization):
    ConnectionFactory(
        organization=organization,
        status=ConnectionStatus.NEEDS_REAUTHORIZATION,
        last_error="401 Unauthorized",
        last_synced_at=timezone.now() - timedelta(hours=1),
    )
    panel = _panel(owner_client, organization)
    assert "Needs re-authorization" in panel and "401 Unauthorized" in panel
    assert "What to do:" in panel
    assert NEXT_STEPS[ConnectionStatus.NEEDS_REAUTHORIZATION][:40] in panel.replace("&#x27;", "'")


def test_revoked_with_data_kept_and_revoked_with_data_deleted(owner_client, organization):
    ConnectionFactory(
        organization=organization,
        subdomain="kept",
        status=ConnectionStatus.REVOKED,
        revoked_at=timezone.now(),
        last_synced_at=timezone.now() - timedelta(days=1),
    )
    ConnectionFactory(
        organization=organization,
        subdomain="deleted",
        status=ConnectionStatus.REVOKED,
        revoked_at=timezone.now(),
    )
    panel = _panel(owner_client, organization)
    assert "PagerDuty kept" in panel and "synced data is kept for browsing" in panel
    assert "PagerDuty deleted" not in panel
