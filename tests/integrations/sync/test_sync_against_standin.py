"""Syncing over real HTTP against the local PagerDuty stand-in: completeness, cost and faults."""

from __future__ import annotations

import math
import re
import threading
import types
from datetime import timedelta
from typing import Any

import pytest
import requests
from django.db import connections
from django.utils import timezone

from integrations.models import (
    Connection,
    ConnectionStatus,
    IncidentStatus,
    RemoteAccount,
    RemoteIncident,
    RemoteIncidentStatusChange,
    RemoteLicense,
    RemotePriority,
    RemoteService,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)
from integrations.pagerduty.sync.lease import SyncAlreadyRunning
from integrations.pagerduty.sync.run import sync_connection
from pagerduty_standin.api import limits as standin_limits_module
from pagerduty_standin.generate import incidents as standin_incidents_module
from tests.integrations.sync.conftest import (
    FakeSleep,
    api_key_connection,
    control,
    oauth_connection,
    quick_client,
    standin_stats,
    standin_summary,
)

pytestmark = [pytest.mark.standin, pytest.mark.django_db]

ALL_SCOPES = "users.read services.read incidents.read priorities.read licenses.read analytics.write"
DATA_LOSS_NOTE = re.compile(r"data\s*loss", re.IGNORECASE)
PER_INCIDENT_PATHS = {"/incidents/{id}", "/incidents/{id}/custom_fields/values"}


def full_sync(connection: Connection, **client_options: Any) -> SyncRun:
    return sync_connection(
        connection=connection,
        trigger=SyncTrigger.MANUAL,
        full=True,
        client=quick_client(connection, **client_options),
    )


def synced_rows(connection: Connection) -> dict[str, list[dict[str, Any]]]:
    return {
        model._meta.label: list(
            model.objects.filter(connection=connection).order_by("external_id").values()
        )
        for model in (
            RemoteService,
            RemotePriority,
            RemoteLicense,
            RemoteAccount,
            RemoteIncident,
            RemoteIncidentStatusChange,
        )
    }


class HookedSession(requests.Session):
    """A requests session that runs `action` once, just before the n-th REST call to `path`."""

    def __init__(self, *, path: str, nth: int, action) -> None:
        super().__init__()
        self.path, self.nth, self.action, self.calls = path, nth, action, 0

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        if url.split("?", 1)[0].endswith(self.path):
            self.calls += 1
            if self.calls == self.nth:
                self.action()
        return super().request(method, url, *args, **kwargs)


# --------------------------------------------------------------------------- completeness


def test_full_sync_stores_everything_the_standin_holds(organization, standin_server):
    connection = api_key_connection(organization, standin_server)

    run = full_sync(connection)

    summary = standin_summary(standin_server)
    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    assert run.counts["services"]["created"] == summary["services"]
    assert run.counts["users"]["created"] == summary["users"]
    assert run.counts["incidents"]["created"] == summary["incidents"]
    services = RemoteService.objects.filter(connection=connection)
    assert services.count() == summary["services"]
    assert (
        services.exclude(email_addresses=[]).count() == summary["services_with_email_integration"]
    )
    assert list(
        RemotePriority.objects.filter(connection=connection).values_list("rank", flat=True)
    ) == list(range(summary["priorities"]))
    accounts = RemoteAccount.objects.filter(connection=connection)
    assert accounts.count() == summary["users"]
    assert accounts.filter(invitation_pending=True).count() == summary["users_invited"]
    assert accounts.filter(license__isnull=False).count() == summary["license_allocations"]
    assert accounts.filter(last_sign_in_at__isnull=True).count() == summary["users_never_signed_in"]
    assert accounts.filter(signed_up=False).count() == summary["users_never_signed_in"]
    assert accounts.filter(on_schedule=True).count() == summary["users_on_schedule"]
    assert (
        accounts.filter(on_escalation_policy=True).count() == summary["users_on_escalation_policy"]
    )
    assert not accounts.filter(on_schedule__isnull=True).exists()
    assert not accounts.exclude(email=models_lower("email")).exists()

    incidents = RemoteIncident.objects.filter(connection=connection)
    assert incidents.count() == summary["incidents"]
    for status, expected in summary["incidents_by_status"].items():
        assert incidents.filter(status=status).count() == expected
    assert incidents.filter(priority__isnull=False).count() == summary["incidents_with_priority"]
    assert not incidents.filter(service__isnull=True).exists()
    assert not incidents.filter(status=IncidentStatus.RESOLVED, resolved_at__isnull=True).exists()
    with_data_loss_note = [
        note
        for note in incidents.values_list("resolution_note", flat=True)
        if DATA_LOSS_NOTE.search(note)
    ]
    assert len(with_data_loss_note) == summary["incidents_with_data_loss_note"]
    changes = RemoteIncidentStatusChange.objects.filter(connection=connection)
    assert changes.filter(kind="trigger").count() == summary["incidents"]
    assert changes.filter(kind="resolve").count() == summary["incidents_by_status"]["resolved"]
    assert not incidents.filter(
        status=IncidentStatus.ACKNOWLEDGED, acknowledged_at__isnull=True
    ).exists()

    assert not PER_INCIDENT_PATHS & set(run.requests_by_path), "no request per incident"
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED and connection.last_error == ""
    assert connection.incidents_synced_through and connection.log_entries_synced_through
    assert connection.last_synced_at and not connection.is_syncing


def models_lower(field: str):
    from django.db.models.functions import Lower

    return Lower(field)


def test_running_the_same_sync_twice_changes_nothing(organization, standin_server):
    connection = api_key_connection(organization, standin_server)
    full_sync(connection)
    before = synced_rows(connection)

    again = full_sync(connection)
    incremental = sync_connection(
        connection=connection, trigger=SyncTrigger.MANUAL, client=quick_client(connection)
    )

    for run in (again, incremental):
        assert run.status == SyncRunStatus.SUCCEEDED
        for resource, figures in run.counts.items():
            assert figures["created"] == figures["updated"] == figures["removed"] == 0, (
                run.full,
                resource,
                figures,
            )
    assert synced_rows(connection) == before


def test_more_than_10000_incidents_in_one_six_month_window_are_all_synced(
    organization, start_standin, monkeypatch
):
    # 12,000 incidents created within 30 days: one six-month window holds them all, so the
    # client must split the window to stay under PagerDuty's 10,000 offset ceiling.
    monkeypatch.setattr(standin_incidents_module, "INCIDENT_HISTORY_DAYS", 30)
    server = start_standin(incident_count=12_000, user_count=10, service_count=3)
    connection = api_key_connection(organization, server)

    run = full_sync(connection)

    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    assert RemoteIncident.objects.filter(connection=connection).count() == 12_000
    assert run.counts["incidents"] == {
        "seen": 12_000,
        "created": 12_000,
        "updated": 0,
        "removed": 0,
    }
    assert standin_stats(server)["by_status"].get("400", 0) == 0, "never hit the ceiling"
    assert run.requests_by_path["/incidents"] <= math.ceil(12_000 / 100) + 8


# --------------------------------------------------------------------------- incremental


def test_incremental_sync_sees_an_old_incident_resolved_and_a_user_removed(
    organization, standin_server
):
    connection = api_key_connection(organization, standin_server)
    full_sync(connection)
    month_ago = timezone.now() - timedelta(days=31)
    open_incidents = RemoteIncident.objects.filter(
        connection=connection, created_at_remote__lt=month_ago
    )
    old_open = open_incidents.filter(status=IncidentStatus.TRIGGERED).order_by("created_at_remote")
    to_resolve, to_acknowledge = old_open[0], old_open[1]
    removed_user = RemoteAccount.objects.filter(connection=connection, role="user").first()
    control(
        standin_server,
        f"/incidents/{to_resolve.external_id}/resolve",
        {"note": "Resolved. Confirmed data loss: 12 invoices were not stored."},
    )
    control(standin_server, f"/incidents/{to_acknowledge.external_id}/acknowledge")
    control(standin_server, f"/users/{removed_user.external_id}/remove")
    control(standin_server, "/incidents", {"count": 3})
    requests.post(f"{standin_server.url}/_control/stats/reset", timeout=5)

    run = sync_connection(
        connection=connection, trigger=SyncTrigger.MANUAL, client=quick_client(connection)
    )

    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    to_resolve.refresh_from_db()
    assert to_resolve.status == IncidentStatus.RESOLVED and to_resolve.resolved_at
    assert "Confirmed data loss" in to_resolve.resolution_note
    assert to_resolve.status_changes.filter(kind="resolve").exists()
    assert to_resolve.custom_fields_synced_at and not to_resolve.custom_fields_pending
    assert "data_loss" in to_resolve.custom_fields
    to_acknowledge.refresh_from_db()
    assert to_acknowledge.status == IncidentStatus.ACKNOWLEDGED and to_acknowledge.acknowledged_at
    removed_user.refresh_from_db()
    assert removed_user.removed_at == run.started_at and removed_user.license is None
    assert run.counts["users"]["removed"] == 1
    assert run.counts["incidents"]["created"] == 3
    assert (
        RemoteIncident.objects.filter(connection=connection).count()
        == (standin_summary(standin_server)["incidents"])
    )
    # No per-incident request to notice the changes; one custom-field read per status change.
    assert "/incidents/{id}" not in run.requests_by_path
    assert run.requests_by_path["/incidents/{id}/custom_fields/values"] == 2


def test_an_unchanged_scheduled_sync_costs_a_handful_plus_one_request_per_100_open_incidents(
    organization, standin_server
):
    connection = api_key_connection(organization, standin_server)
    full_sync(connection)
    open_count = RemoteIncident.objects.filter(
        connection=connection, status__in=["triggered", "acknowledged"]
    ).count()

    run = sync_connection(
        connection=connection, trigger=SyncTrigger.SCHEDULE, client=quick_client(connection)
    )

    assert run.status == SyncRunStatus.SUCCEEDED
    assert not PER_INCIDENT_PATHS & set(run.requests_by_path)
    assert "/users" not in run.requests_by_path, "the directory is re-read at most hourly"
    # services, priorities, new incidents, log entries; open incidents in six-month windows.
    open_windows = math.ceil(800 / 179)
    assert run.request_count <= 4 + open_windows + math.ceil(open_count / 100)
    assert all(figures["created"] == figures["updated"] == 0 for figures in run.counts.values())


# --------------------------------------------------------------------------- faults


def test_a_429_storm_and_server_errors_still_end_with_complete_data(
    organization, start_standin, monkeypatch
):
    # The stand-in counts its one-minute rate windows on this clock; the client's (fake) sleep
    # moves it forward, so honouring `ratelimit-reset` takes no real time.
    clock = {"now": 1_000.0}
    fake_time = types.SimpleNamespace(
        monotonic=lambda: clock["now"], time=standin_limits_module.time.time, sleep=lambda _: None
    )
    monkeypatch.setattr(standin_limits_module, "time", fake_time)
    server = start_standin(
        rate_limit_per_minute=3, rate_limit_headers_probability=0.6, error_rate=0.2
    )
    connection = api_key_connection(organization, server)

    def advance(seconds: float) -> None:
        clock["now"] += seconds

    run = full_sync(
        connection,
        sleep=FakeSleep(advance),
        max_retries=12,
        monotonic_clock=lambda: clock["now"],
    )

    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    statuses = standin_stats(server)["by_status"]
    server_errors = sum(count for status, count in statuses.items() if status.startswith("5"))
    assert statuses.get("429", 0) >= 10 and server_errors >= 2, statuses
    summary = standin_summary(server)
    assert RemoteIncident.objects.filter(connection=connection).count() == summary["incidents"]
    assert RemoteAccount.objects.filter(connection=connection).count() == summary["users"]
    assert (
        RemoteIncidentStatusChange.objects.filter(connection=connection, kind="trigger").count()
        == (summary["incidents"])
    )
    assert run.request_count == sum(statuses.values())


def test_a_malformed_page_fails_the_run_with_a_message_and_keeps_what_was_stored(
    organization, standin_server
):
    connection = api_key_connection(organization, standin_server)
    session = HookedSession(
        path="/incidents",
        nth=3,
        action=lambda: standin_server.update_options(malformed_rate=1.0),
    )

    failed = full_sync(connection, session=session)

    assert failed.status == SyncRunStatus.FAILED
    assert "incidents" in failed.error_message and "not JSON" in failed.error_message
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ERROR
    assert connection.last_error == failed.error_message
    summary = standin_summary(standin_server)
    assert RemoteAccount.objects.filter(connection=connection).count() == summary["users"]
    stored = RemoteIncident.objects.filter(connection=connection).count()
    assert 0 < stored < summary["incidents"]
    newest_stored = (
        RemoteIncident.objects.filter(connection=connection).latest("created_at_remote")
    ).created_at_remote
    assert connection.incidents_synced_through == newest_stored

    standin_server.update_options(malformed_rate=0.0)
    resumed = sync_connection(
        connection=connection, trigger=SyncTrigger.SCHEDULE, client=quick_client(connection)
    )
    assert resumed.status == SyncRunStatus.SUCCEEDED
    assert RemoteIncident.objects.filter(connection=connection).count() == summary["incidents"]
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED and connection.last_error == ""
    assert "/incidents/{id}/custom_fields/values" not in resumed.requests_by_path, (
        "finishing a backfill is not a status change"
    )


# A 401 makes the client try an OAuth refresh, which locks the connection row from the
# read-ahead thread's own database connection: commit like production does.
@pytest.mark.django_db(transaction=True)
def test_a_token_revoked_mid_sync_needs_reauthorization_and_keeps_the_data(
    organization, standin_server
):
    connection = oauth_connection(organization, standin_server, ALL_SCOPES)
    session = HookedSession(path="/log_entries", nth=2, action=standin_server.revoke_all_tokens)

    run = full_sync(connection, session=session)

    assert run.status == SyncRunStatus.FAILED
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION
    assert "Reconnect" in connection.last_error
    assert RemoteAccount.objects.filter(connection=connection).count() == 60
    assert RemoteIncident.objects.filter(connection=connection).exists()
    assert not Connection.objects.active().filter(pk=connection.pk).exists()


def test_missing_scopes_skip_those_resources_with_a_note(organization, standin_server):
    scopes = "users.read services.read incidents.read priorities.read"
    connection = oauth_connection(organization, standin_server, scopes)

    run = full_sync(connection)

    assert run.status == SyncRunStatus.SUCCEEDED
    assert any(
        note.startswith("Licenses skipped") and "licenses.read" in note for note in run.notes
    )
    assert any(
        note.startswith("Last sign-in skipped") and "analytics.write" in note for note in run.notes
    )
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.MISSING_SCOPES
    assert "analytics.write" in connection.last_error
    assert RemoteAccount.objects.filter(connection=connection).count() == 60
    assert RemoteIncident.objects.filter(connection=connection).count() == 400


# --------------------------------------------------------------------------- one at a time


def test_a_second_sync_of_the_same_connection_is_told_one_is_running(organization, standin_server):
    from integrations.pagerduty.sync.lease import sync_lease_acquire

    connection = api_key_connection(organization, standin_server)
    lease = sync_lease_acquire(connection=connection)

    with pytest.raises(SyncAlreadyRunning, match="already running"):
        sync_connection(
            connection=connection, trigger=SyncTrigger.MANUAL, client=quick_client(connection)
        )
    assert not SyncRun.objects.filter(connection=connection).exists()

    lease.release()
    assert full_sync(connection).status == SyncRunStatus.SUCCEEDED


def test_an_expired_lease_does_not_block_the_next_sync(organization, standin_server):
    from integrations.pagerduty.sync.lease import sync_lease_acquire

    connection = api_key_connection(organization, standin_server)
    sync_lease_acquire(connection=connection)  # a worker that died holding the lease
    Connection.objects.filter(pk=connection.pk).update(
        sync_lease_expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert full_sync(connection).status == SyncRunStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_two_syncs_started_together_only_one_runs(organization, standin_server):
    connection = api_key_connection(organization, standin_server)
    start_together = threading.Barrier(2)
    outcomes: list[str] = []

    def worker() -> None:
        try:
            own_connection = Connection.objects.get(pk=connection.pk)
            start_together.wait(timeout=10)
            run = sync_connection(
                connection=own_connection,
                trigger=SyncTrigger.MANUAL,
                client=quick_client(own_connection),
            )
            outcomes.append(run.status)
        except SyncAlreadyRunning:
            outcomes.append("already running")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["already running", SyncRunStatus.SUCCEEDED]
    assert SyncRun.objects.filter(connection=connection).count() == 1
