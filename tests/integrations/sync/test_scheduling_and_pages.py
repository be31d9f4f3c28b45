"""Scheduling, "Sync now", the command and the admin around the sync run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from integrations import tasks
from integrations.models import (
    ConnectionStatus,
    RemoteIncident,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)
from integrations.pagerduty.sync.lease import sync_lease_acquire
from tests.factories import ConnectionFactory, SyncRunFactory
from tests.integrations.sync.conftest import api_key_connection

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __call__(self, *args, **kwargs) -> None:
        self.calls.append(args)


def test_the_schedule_fans_out_one_sync_per_active_connection(organization):
    active = ConnectionFactory(organization=organization)
    erroring = ConnectionFactory(organization=organization, status=ConnectionStatus.ERROR)
    ConnectionFactory(organization=organization, status=ConnectionStatus.REVOKED)
    ConnectionFactory(organization=organization, status=ConnectionStatus.NEEDS_REAUTHORIZATION)
    syncing = ConnectionFactory(
        organization=organization, sync_lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    recorder = Recorder()

    queued = tasks.sync_all_connections(enqueue=recorder)

    assert queued == 2
    assert sorted(call[1] for call in recorder.calls) == sorted([active.pk, erroring.pk])
    assert {call[0] for call in recorder.calls} == {"integrations.tasks.sync_connection_task"}
    assert all(call[2] == SyncTrigger.SCHEDULE for call in recorder.calls)
    assert syncing.pk not in [call[1] for call in recorder.calls]


def test_setup_schedules_creates_the_periodic_sync(settings):
    call_command("setup_schedules")
    call_command("setup_schedules")

    schedule = Schedule.objects.get(name="integrations.sync_all_connections")
    assert schedule.func == "integrations.tasks.sync_all_connections"
    assert schedule.minutes == settings.SYNC_INTERVAL_MINUTES
    assert schedule.schedule_type == Schedule.MINUTES


# The default client's request budget is kept in the database and used from the read-ahead
# thread's own connection: these tests commit like production does.
@pytest.mark.django_db(transaction=True)
def test_one_broken_connection_never_stops_the_others(organization, standin_server):
    from tests.factories import OrganizationFactory

    broken = ConnectionFactory(
        organization=OrganizationFactory(), api_key="revoked-key", subdomain="acme"
    )
    healthy = api_key_connection(organization, standin_server)
    recorder = Recorder()
    tasks.sync_all_connections(enqueue=recorder)

    results = {call[1]: tasks.sync_connection_task(*call[1:]) for call in recorder.calls}

    assert results[broken.pk]["result"] == SyncRunStatus.FAILED
    assert results[healthy.pk]["result"] == SyncRunStatus.SUCCEEDED
    broken.refresh_from_db()
    assert broken.status == ConnectionStatus.NEEDS_REAUTHORIZATION
    assert RemoteIncident.objects.filter(connection=healthy).count() == 400


def test_the_task_says_when_a_sync_is_already_running(organization):
    connection = ConnectionFactory(organization=organization)
    sync_lease_acquire(connection=connection)

    result = tasks.sync_connection_task(connection.pk, SyncTrigger.MANUAL)

    assert "already running" in result["result"]
    assert tasks.sync_connection_task(987654)["result"] == "connection no longer exists"


# --------------------------------------------------------------------------- Sync now


@pytest.fixture
def queued(monkeypatch) -> list:
    calls: list = []
    monkeypatch.setattr(
        "integrations.services.connection_sync_enqueue", lambda **kwargs: calls.append(kwargs)
    )
    return calls


def sync_now_url(connection) -> str:
    return reverse(
        "integrations:connection_sync_now", args=[connection.organization.slug, connection.pk]
    )


def test_an_admin_queues_a_sync_now(admin_client, organization, queued):
    connection = ConnectionFactory(organization=organization)

    response = admin_client.post(sync_now_url(connection), follow=True)

    assert [(call["connection"], call["trigger"]) for call in queued] == [
        (connection, SyncTrigger.MANUAL)
    ]
    assert b"Sync queued" in response.content


def test_sync_now_says_when_one_is_already_running(admin_client, organization, queued):
    connection = ConnectionFactory(organization=organization)
    sync_lease_acquire(connection=connection)

    response = admin_client.post(sync_now_url(connection), follow=True)

    assert queued == []
    assert b"already running" in response.content
    assert b"Syncing" in response.content


def test_sync_now_refuses_a_connection_that_must_be_reconnected(admin_client, organization, queued):
    connection = ConnectionFactory(
        organization=organization, status=ConnectionStatus.NEEDS_REAUTHORIZATION
    )

    response = admin_client.post(sync_now_url(connection), follow=True)

    assert queued == []
    assert b"cannot sync" in response.content


def test_members_can_neither_see_nor_use_sync_now(member_client, organization, queued):
    connection = ConnectionFactory(organization=organization)
    page = member_client.get(
        reverse("integrations:connection_detail", args=[organization.slug, connection.pk])
    )

    assert b"Sync now" not in page.content
    assert member_client.post(sync_now_url(connection)).status_code == 403
    assert member_client.get(sync_now_url(connection)).status_code == 405
    assert queued == []


def test_the_connection_page_shows_each_sync_run(admin_client, organization):
    connection = ConnectionFactory(organization=organization)
    started = timezone.now() - timedelta(minutes=3)
    SyncRunFactory(
        connection=connection,
        status=SyncRunStatus.SUCCEEDED,
        started_at=started,
        finished_at=started + timedelta(seconds=42),
        counts={"incidents": {"seen": 120, "created": 20, "updated": 3, "removed": 0}},
        request_count=17,
        notes=["Last sign-in skipped: the plan lacks analytics."],
    )
    SyncRunFactory(
        connection=connection,
        status=SyncRunStatus.FAILED,
        error_message="Syncing incidents failed: PagerDuty could not be reached.",
    )

    page = admin_client.get(
        reverse("integrations:connection_detail", args=[organization.slug, connection.pk])
    ).content.decode()

    assert "Sync now" in page
    assert "incidents: 120 seen, 20 new, 3 changed" in page
    assert "42.0 s" in page and ">17<" in page
    assert "Last sign-in skipped" in page
    assert "PagerDuty could not be reached" in page


# --------------------------------------------------------------------------- command


@pytest.mark.django_db(transaction=True)
def test_the_command_syncs_an_org_and_prints_counts_requests_and_duration(
    organization, standin_server, capsys
):
    api_key_connection(organization, standin_server)

    call_command("pagerduty_sync", "--org", organization.slug)

    output = capsys.readouterr().out
    assert "full sync succeeded in" in output
    assert "incidents" in output and "400" in output
    assert "PagerDuty requests:" in output and "/log_entries" in output
    assert SyncRun.objects.get().trigger == SyncTrigger.COMMAND


def test_the_command_refuses_an_unknown_org(db):
    with pytest.raises(CommandError, match="No organisation"):
        call_command("pagerduty_sync", "--org", "nope")


# --------------------------------------------------------------------------- admin


@pytest.fixture
def staff_client(client):
    staff = get_user_model().objects.create_superuser("staff@example.com", "staff@example.com", "x")
    client.force_login(staff)
    return client


def test_every_integrations_model_has_an_admin_list(staff_client, organization):
    connection = ConnectionFactory(organization=organization, api_key="secret-api-key-value")
    SyncRunFactory(connection=connection, error_message="boom")
    for name in (
        "connection",
        "syncrun",
        "remoteservice",
        "remotepriority",
        "remotelicense",
        "remoteaccount",
        "remoteincident",
        "remoteincidentstatuschange",
        "requestbudgetwindow",
    ):
        response = staff_client.get(reverse(f"admin:integrations_{name}_changelist"))
        assert response.status_code == 200, name
    runs = staff_client.get(reverse("admin:integrations_syncrun_changelist"), {"q": "boom"})
    assert b"boom" in runs.content


def test_the_admin_never_shows_credentials(staff_client, organization):
    connection = ConnectionFactory(
        organization=organization,
        api_key="secret-api-key-value",
        access_token="secret-access-token",
        refresh_token="secret-refresh-token",
    )

    page = staff_client.get(reverse("admin:integrations_connection_change", args=[connection.pk]))

    assert page.status_code == 200
    for secret in (b"secret-api-key-value", b"secret-access-token", b"secret-refresh-token"):
        assert secret not in page.content
    assert b'name="api_key"' not in page.content
