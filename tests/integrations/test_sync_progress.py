"""Sync progress on the connection page: per-resource counts, requests and elapsed time of the
run in progress, refreshed by a small fragment htmx polls every 2 s while a sync is queued or
running (a plain Refresh link without JavaScript); "Sync now" is in the audit log."""

import time
from datetime import timedelta
from types import SimpleNamespace
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import SyncRun, SyncRunStatus, SyncTrigger
from integrations.pagerduty.sync.context import PROGRESS_SAVE_SECONDS, SyncContext
from integrations.pagerduty.sync.lease import sync_lease_acquire
from tenants.models import AuditEvent
from tests.factories import ConnectionFactory, SyncRunFactory

pytestmark = pytest.mark.django_db


def page_url(connection):
    return reverse(
        "integrations:connection_detail", args=[connection.organization.slug, connection.pk]
    )


def status_url(connection):
    return reverse(
        "integrations:connection_sync_status", args=[connection.organization.slug, connection.pk]
    )


@pytest.fixture
def running(organization):
    connection = ConnectionFactory(organization=organization, subdomain="acme")
    sync_lease_acquire(connection=connection)
    run = SyncRunFactory(
        connection=connection,
        status=SyncRunStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=75),
        counts={"incidents": {"seen": 1200, "created": 1100, "updated": 0, "removed": 0}},
        request_count=14,
    )
    return connection, run


def test_a_running_sync_shows_counts_requests_and_elapsed_and_polls(member_client, running):
    connection, _ = running
    content = member_client.get(page_url(connection)).content.decode()

    assert "Sync running" in content
    assert "1 min 15 s" in content
    assert "<strong>14</strong> PagerDuty requests so far" in content
    assert "<td>Incidents</td><td>1,200</td><td>1,100</td>" in content
    assert f'hx-get="{status_url(connection)}" hx-trigger="every 2s"' in content
    assert f'href="{page_url(connection)}">Refresh</a>' in content  # without JavaScript
    assert "vendor/htmx/htmx.min.js" in content
    assert '"includeIndicatorStyles":false' in content


def test_the_fragment_stops_polling_once_the_sync_is_done(member_client, running):
    connection, run = running
    fragment = member_client.get(status_url(connection)).content.decode()
    assert fragment.startswith('<div id="sync-status" hx-get=')
    assert "<html" not in fragment

    run.status = SyncRunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    connection.sync_lease_expires_at = None
    connection.save()

    fragment = member_client.get(status_url(connection)).content.decode()
    assert "hx-trigger" not in fragment
    assert "Sync running" not in fragment
    assert "Succeeded" in fragment


def test_sync_now_is_audited_and_shown_as_queued_until_the_run_starts(
    admin_client, organization, admin_user, monkeypatch
):
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: None)
    connection = ConnectionFactory(organization=organization)

    response = admin_client.post(
        reverse("integrations:connection_sync_now", args=[organization.slug, connection.pk]),
        follow=True,
    )

    event = AuditEvent.objects.get(action="connection.sync_requested")
    assert (event.actor, event.target_id) == (admin_user, str(connection.pk))
    content = response.content.decode()
    assert "Sync queued" in content and f"by {admin_user.email}" in content
    assert 'hx-trigger="every 2s"' in content
    assert "refresh this page" not in content

    SyncRunFactory(connection=connection, status=SyncRunStatus.SUCCEEDED)
    assert "Sync queued" not in admin_client.get(page_url(connection)).content.decode()


def test_an_idle_connection_page_does_not_poll(member_client, organization):
    connection = ConnectionFactory(organization=organization)
    content = member_client.get(page_url(connection)).content.decode()
    assert "hx-trigger" not in content
    assert "No sync has run yet" in content


def test_the_run_saves_its_counts_while_it_runs(organization):
    connection = ConnectionFactory(organization=organization)
    run = SyncRun.objects.create(
        organization=organization, connection=connection, trigger=SyncTrigger.MANUAL
    )
    sync = SyncContext(
        connection=connection,
        run=run,
        client=SimpleNamespace(request_count=3, requests_by_path={}),
        lease=mock.Mock(),
        now=timezone.now(),
        full=True,
        people_due=False,
    )
    sync.count("incidents").seen = 100
    sync.page_done()  # just started: not saved yet
    assert SyncRun.objects.get(pk=run.pk).counts == {}

    sync._progress_saved_at = time.monotonic() - PROGRESS_SAVE_SECONDS
    sync.page_done()

    saved = SyncRun.objects.get(pk=run.pk)
    assert saved.counts["incidents"]["seen"] == 100
    assert saved.request_count == 3
