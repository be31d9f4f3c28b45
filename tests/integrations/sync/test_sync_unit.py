"""The sync against a PagerDuty mocked with `responses`: mapping, removals, history and errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.models import (
    ConnectionStatus,
    IncidentStatus,
    RemoteAccount,
    RemoteIncident,
    RemoteService,
    SyncRunStatus,
    SyncTrigger,
)
from integrations.pagerduty.sync import run as sync_run
from integrations.pagerduty.sync.run import sync_connection
from tests.factories import ConnectionFactory
from tests.integrations.sync.fake_pagerduty import (
    FakePagerDuty,
    at,
    make_incident,
    make_log_entry,
    make_service,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakePagerDuty(mock)


@pytest.fixture
def connection(organization):
    return ConnectionFactory(organization=organization)


def sync(connection, pagerduty: FakePagerDuty, **options):
    options.setdefault("trigger", SyncTrigger.MANUAL)
    connection.refresh_from_db()
    return sync_connection(connection=connection, client=pagerduty.client(), **options)


# --------------------------------------------------------------------------- directory


def test_services_keep_their_email_integration_addresses(connection, pagerduty):
    pagerduty.services = [
        make_service("PSVC1", "Checkout API", email="Checkout@Acme.PagerDuty.com"),
        make_service("PSVC2", "Billing"),
    ]

    run = sync(connection, pagerduty)

    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    checkout = RemoteService.objects.get(connection=connection, external_id="PSVC1")
    assert checkout.email_addresses == ["checkout@acme.pagerduty.com"]
    assert RemoteService.objects.get(external_id="PSVC2").email_addresses == []
    assert pagerduty.count("/services") == 1


def test_a_service_gone_from_pagerduty_is_marked_removed(connection, pagerduty):
    pagerduty.services = [make_service("PSVC1", "Checkout"), make_service("PSVC2", "Billing")]
    sync(connection, pagerduty)
    pagerduty.services = [make_service("PSVC1", "Checkout")]

    run = sync(connection, pagerduty)

    assert run.counts["services"]["removed"] == 1
    assert RemoteService.objects.get(external_id="PSVC2").removed_at == run.started_at


def test_users_map_to_accounts_with_lower_case_email_invitation_and_license(connection, pagerduty):
    pagerduty.users = [
        make_user("PUSER1", "Ada.Lovelace@Example.com"),
        make_user("PUSER2", "grace@example.com", invitation_sent=True, role="read_only_user"),
    ]
    pagerduty.allocations = [
        {"license": {"id": "PLIC1"}, "user": {"id": "PUSER1", "type": "user_reference"}}
    ]
    pagerduty.sign_ins = [{"id": "PUSER1", "last_sign_in_at": "2025-05-01T09:30:00"}]

    run = sync(connection, pagerduty)

    ada = RemoteAccount.objects.get(connection=connection, external_id="PUSER1")
    assert ada.email == "ada.lovelace@example.com"
    assert ada.teams == [{"id": "PTEAM1", "name": "Platform"}]
    assert ada.license.name == "Business (Full User)"
    assert ada.last_sign_in_at.isoformat() == "2025-05-01T09:30:00+00:00"
    grace = RemoteAccount.objects.get(external_id="PUSER2")
    assert grace.invitation_pending and grace.license is None and grace.last_sign_in_at is None
    assert run.counts["users"] == {"seen": 2, "created": 2, "updated": 0, "removed": 0}


def test_a_removed_user_is_kept_as_removed_and_cleared_when_listed_again(connection, pagerduty):
    pagerduty.users = [
        make_user("PUSER1", "ada@example.com"),
        make_user("PUSER2", "bo@example.com"),
    ]
    sync(connection, pagerduty)
    pagerduty.users = [make_user("PUSER1", "ada@example.com")]

    removal = sync(connection, pagerduty)

    bo = RemoteAccount.objects.get(external_id="PUSER2")
    assert bo.removed_at == removal.started_at
    assert removal.counts["users"]["removed"] == 1

    pagerduty.users.append(make_user("PUSER2", "bo@example.com"))
    sync(connection, pagerduty)
    bo.refresh_from_db()
    assert bo.removed_at is None


def test_scheduled_syncs_read_users_at_most_every_refresh_interval(connection, pagerduty, settings):
    settings.PAGERDUTY_PEOPLE_REFRESH_MINUTES = 60
    pagerduty.users = [make_user("PUSER1", "ada@example.com")]
    sync(connection, pagerduty)

    sync(connection, pagerduty, trigger=SyncTrigger.SCHEDULE)
    assert pagerduty.count("/users") == 1

    connection.refresh_from_db()
    later = timezone.now() + timedelta(minutes=61)
    sync(connection, pagerduty, trigger=SyncTrigger.SCHEDULE, now=later)
    assert pagerduty.count("/users") == 2


# --------------------------------------------------------------------------- incidents


def test_incidents_link_services_and_priorities_and_read_history_from_the_log(
    connection, pagerduty
):
    created = at(3)
    resolved = at(2)
    pagerduty.incidents = [
        make_incident(
            "PINC1",
            1,
            created,
            status="resolved",
            priority_id="PPRI2",
            resolved_at=resolved,
        ),
        make_incident("PINC2", 2, at(1), service_id="PGONE"),
    ]
    pagerduty.log_entries = [
        make_log_entry("RTRIG1", "trigger", created, "PINC1"),
        make_log_entry("RACK1", "acknowledge", at(2.9), "PINC1"),
        make_log_entry("RNOTE1", "annotate", at(2.5), "PINC1", note="Looking into it."),
        make_log_entry("RNOTE2", "annotate", resolved, "PINC1", note="Confirmed data loss."),
        make_log_entry("RRES1", "resolve", resolved, "PINC1"),
        make_log_entry("RTRIG2", "trigger", at(1), "PINC2"),
        make_log_entry("ROLD", "resolve", at(2), "PNOTSTORED"),
    ]

    run = sync(connection, pagerduty)

    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    first = RemoteIncident.objects.get(external_id="PINC1")
    assert first.priority.name == "P2" and first.service.name == "Checkout API"
    assert first.status == IncidentStatus.RESOLVED and first.resolved_at
    assert first.resolution_note == "Confirmed data loss."
    assert first.acknowledged_at.isoformat().startswith(at(2.9)[:16])
    assert [change.kind for change in first.status_changes.all()] == [
        "trigger",
        "acknowledge",
        "annotate",
        "annotate",
        "resolve",
    ]
    assert first.status_changes.get(kind="resolve").status == IncidentStatus.RESOLVED
    second = RemoteIncident.objects.get(external_id="PINC2")
    assert second.service is None and second.service_external_id == "PGONE"
    assert run.counts["status_changes"]["created"] == 6  # the unknown incident's entry is skipped

    pagerduty.services.append(make_service("PGONE", "Late service"))
    late = sync(connection, pagerduty)
    second.refresh_from_db()
    assert second.service.name == "Late service"
    assert second.synced_at == late.started_at, "a changed incident is marked by its sync"


def test_custom_fields_are_read_only_for_status_changes_of_incremental_syncs(connection, pagerduty):
    pagerduty.incidents = [make_incident("PINC1", 1, at(40)), make_incident("PINC2", 2, at(39))]
    pagerduty.custom_fields["PINC1"] = [
        {"name": "data_loss", "display_name": "Data loss", "value": True},
        {"name": "environment", "display_name": "Environment", "value": "production"},
    ]
    full = sync(connection, pagerduty)
    assert "/incidents/{id}/custom_fields/values" not in full.requests_by_path

    resolved = at(0)
    pagerduty.incidents[0] = make_incident(
        "PINC1", 1, at(40), status="resolved", resolved_at=resolved
    )
    pagerduty.log_entries.append(make_log_entry("RRES1", "resolve", resolved, "PINC1"))
    incremental = sync(connection, pagerduty, trigger=SyncTrigger.SCHEDULE)

    assert incremental.requests_by_path["/incidents/{id}/custom_fields/values"] == 1
    assert "/incidents/{id}" not in incremental.requests_by_path, "the log explained it"
    incident = RemoteIncident.objects.get(external_id="PINC1")
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.custom_fields == {"data_loss": True, "environment": "production"}
    assert incident.data_loss_field is True and incident.custom_fields_synced_at
    assert not RemoteIncident.objects.filter(custom_fields_pending=True).exists()


def test_custom_fields_read_in_a_later_sync_mark_the_incident_changed_by_it(connection, pagerduty):
    pagerduty.incidents = [make_incident("PINC1", 1, at(40)), make_incident("PINC2", 2, at(39))]
    first = sync(connection, pagerduty)
    # Both left pending by an earlier run (more status changes than one run reads).
    RemoteIncident.objects.update(custom_fields_pending=True)
    pagerduty.custom_fields["PINC1"] = [
        {"name": "data_loss", "display_name": "Data loss", "value": True},
    ]

    later = sync(connection, pagerduty, trigger=SyncTrigger.SCHEDULE)

    assert later.requests_by_path["/incidents/{id}/custom_fields/values"] == 2
    assert RemoteIncident.objects.get(external_id="PINC1").synced_at == later.started_at
    assert RemoteIncident.objects.get(external_id="PINC2").synced_at == first.started_at


def test_an_open_incident_no_list_explains_is_read_on_its_own(connection, pagerduty):
    pagerduty.incidents = [make_incident("PINC1", 1, at(40))]
    sync(connection, pagerduty)
    pagerduty.incidents[0] = make_incident(
        "PINC1", 1, at(40), status="resolved", resolved_at=at(0.5)
    )
    connection.refresh_from_db()

    run = sync(connection, pagerduty, trigger=SyncTrigger.SCHEDULE)

    assert run.requests_by_path["/incidents/{id}"] == 1
    assert RemoteIncident.objects.get(external_id="PINC1").status == IncidentStatus.RESOLVED


# --------------------------------------------------------------------------- errors


def test_a_plan_without_analytics_skips_last_sign_in_with_a_note(connection, pagerduty):
    pagerduty.users = [make_user("PUSER1", "ada@example.com")]
    pagerduty.fail("/analytics/raw/users", 402, "Payment Required")

    run = sync(connection, pagerduty)

    assert run.status == SyncRunStatus.SUCCEEDED
    assert run.notes and run.notes[0].startswith(
        "Last sign-in skipped: The PagerDuty account's plan"
    )
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED


def test_a_missing_scope_skips_the_resource_and_flags_missing_permissions(connection, pagerduty):
    pagerduty.users = [make_user("PUSER1", "ada@example.com")]
    pagerduty.fail("/analytics/raw/users", 403, "Access Denied")

    run = sync(connection, pagerduty)

    assert run.status == SyncRunStatus.SUCCEEDED
    assert "analytics.write" in run.notes[0]
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.MISSING_SCOPES
    assert "analytics.write" in connection.last_error
    assert RemoteAccount.objects.filter(connection=connection).count() == 1


def test_refused_credentials_need_reauthorization_and_keep_the_data(connection, pagerduty):
    pagerduty.users = [make_user("PUSER1", "ada@example.com")]
    sync(connection, pagerduty)
    pagerduty.fail("/services", 401, "Authentication failed")

    run = sync(connection, pagerduty)

    assert run.status == SyncRunStatus.FAILED
    assert "Reconnect" in run.error_message
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION
    assert connection.last_error == run.error_message and not connection.is_syncing
    assert RemoteAccount.objects.filter(connection=connection).count() == 1


def test_persistent_server_errors_fail_the_run_with_a_message_to_act_on(connection, pagerduty):
    pagerduty.fail("/incidents", 503, "Service Unavailable")

    run = sync(connection, pagerduty)

    assert run.status == SyncRunStatus.FAILED
    assert run.error_message.startswith("Syncing incidents failed: PagerDuty could not be reached")
    assert "try again later" in run.error_message
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ERROR and connection.last_error_at
    assert RemoteService.objects.filter(connection=connection).exists()


def test_an_incident_without_its_creation_time_fails_the_run_as_malformed(connection, pagerduty):
    broken = make_incident("PINC1", 1, at(2))
    pagerduty.incidents = [broken]
    sync(connection, pagerduty)
    broken = make_incident("PINC9", 9, at(0.001))
    pagerduty.incidents.append(broken)
    pagerduty.fail("/incidents", 200)
    pagerduty.failures["/incidents"] = (
        200,
        {"incidents": [{**broken, "created_at": None}], "more": False, "total": 1},
    )

    run = sync(connection, pagerduty)

    assert run.status == SyncRunStatus.FAILED
    assert "without its created_at" in run.error_message
    assert RemoteIncident.objects.filter(connection=connection).count() == 1


def test_every_run_enqueues_the_after_sync_work(connection, pagerduty, monkeypatch):
    enqueued = []
    monkeypatch.setattr(sync_run, "enqueue_after_sync", lambda **kwargs: enqueued.append(kwargs))
    ok = sync(connection, pagerduty)
    pagerduty.fail("/services", 500)
    failed = sync(connection, pagerduty)

    assert enqueued == [
        {"organization_id": connection.organization_id, "sync_run_id": ok.pk},
        {"organization_id": connection.organization_id, "sync_run_id": failed.pk},
    ]


def test_a_broken_task_queue_never_fails_the_sync(connection, pagerduty, monkeypatch):
    def broken(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(sync_run, "enqueue_after_sync", broken)

    assert sync(connection, pagerduty).status == SyncRunStatus.SUCCEEDED
