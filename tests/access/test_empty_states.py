"""An empty Staff access tab says the true reason, not a guess."""

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import ConnectionStatus, Purpose
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def tab(client, organization, system):
    url = reverse("access:system_accounts", args=[organization.slug, system.pk])
    return client.get(url).content.decode()


def test_without_a_connection_it_says_pagerduty_is_not_connected(
    member_client, organization, system
):
    assert "PagerDuty is not connected" in tab(member_client, organization, system)


def test_a_connection_for_other_purposes_only_says_so(member_client, organization, system):
    ConnectionFactory(organization=organization, purposes=[Purpose.INCIDENT_MANAGEMENT])

    assert "PagerDuty is not used for access management" in tab(member_client, organization, system)


def test_a_revoked_connection_says_it_was_revoked(member_client, organization, system):
    ConnectionFactory(
        organization=organization,
        purposes=[Purpose.ACCESS_MANAGEMENT],
        status=ConnectionStatus.REVOKED,
    )

    assert "The PagerDuty connection was revoked" in tab(member_client, organization, system)


def test_before_the_first_sync_it_says_the_sync_has_not_finished(
    member_client, organization, system
):
    ConnectionFactory(
        organization=organization, purposes=[Purpose.ACCESS_MANAGEMENT], last_synced_at=None
    )

    assert "The first sync has not finished yet" in tab(member_client, organization, system)


def test_after_a_sync_that_found_nobody_it_says_so(member_client, organization, system):
    ConnectionFactory(
        organization=organization,
        purposes=[Purpose.ACCESS_MANAGEMENT],
        last_synced_at=timezone.now(),
    )

    assert "PagerDuty has no users" in tab(member_client, organization, system)
