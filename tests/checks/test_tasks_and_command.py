"""Evaluation after every sync and on a schedule, and `manage.py evaluate_checks`."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from checks import tasks
from checks.evaluation import organization_evaluate
from checks.models import CheckStatus, CheckSummary
from checks.registry import check_list
from checks.schedules import SCHEDULES
from incidents.checks import INCIDENT_CHECKS
from integrations.hooks import after_sync_tasks, enqueue_after_sync
from tests.checks.conftest import NOW
from tests.factories import (
    ConnectionFactory,
    OrganizationFactory,
    RemoteAccountFactory,
    RemoteIncidentFactory,
    RemoteServiceFactory,
    SyncRunFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_checks_run_after_every_sync(organization, connection, make_incident):
    assert "checks.tasks.evaluate_organization_after_sync" in after_sync_tasks()
    make_incident(hours_ago=30)
    sync_run = SyncRunFactory(connection=connection)
    calls = []
    enqueue_after_sync(
        organization_id=organization.pk,
        sync_run_id=sync_run.pk,
        enqueue=lambda path, *args, **kwargs: calls.append((path, args)),
    )
    assert (
        "checks.tasks.evaluate_organization_after_sync",
        (organization.pk, sync_run.pk),
    ) in calls

    outcome = tasks.evaluate_organization_after_sync(organization.pk, sync_run.pk)

    assert outcome["incident_closed_within_sla"]["status"] == CheckStatus.FAILING
    assert CheckSummary.objects.filter(organization=organization).count() == len(check_list())


def test_schedule_fans_out_one_task_per_connected_organisation(organization, connection):
    ConnectionFactory()
    OrganizationFactory()  # never connected: nothing to evaluate
    enqueued = []
    count = tasks.evaluate_all_organizations(
        enqueue=lambda path, *args, **kwargs: enqueued.append((path, args))
    )
    assert count == 2
    assert ("checks.tasks.evaluate_organization", (organization.pk,)) in enqueued


def test_setup_schedules_creates_the_hourly_evaluation():
    assert SCHEDULES == [
        {
            "name": "Evaluate checks for every organisation",
            "func": "checks.tasks.evaluate_all_organizations",
            "schedule_type": "I",
            "minutes": 60,
        }
    ]
    call_command("setup_schedules", stdout=StringIO())
    schedule = Schedule.objects.get(name="Evaluate checks for every organisation")
    assert (schedule.func, schedule.minutes) == ("checks.tasks.evaluate_all_organizations", 60)


def test_task_for_a_deleted_organisation_does_nothing():
    assert tasks.evaluate_organization(987654) == {}


def _count_queries(function) -> int:
    with CaptureQueriesContext(database) as captured:
        function()
    return len(captured.captured_queries)


def test_evaluation_costs_the_same_queries_for_10_or_400_incidents():
    counts = []
    for incident_count in (10, 400):
        connection = ConnectionFactory(last_synced_at=NOW)
        service = RemoteServiceFactory(connection=connection)
        RemoteIncidentFactory.create_batch(
            incident_count,
            connection=connection,
            service=service,
            created_at_remote=NOW - timedelta(hours=2),
        )
        organization = connection.organization
        organization_evaluate(organization=organization, now=NOW)
        counts.append(
            _count_queries(
                lambda organization=organization: organization_evaluate(
                    organization=organization,
                    now=NOW + timedelta(minutes=5),
                    checks=INCIDENT_CHECKS,
                )
            )
        )
    assert counts[0] == counts[1]
    assert counts[0] <= 24


def test_evaluate_checks_command_prints_status_and_counts(organization, make_incident):
    make_incident(hours_ago=30)
    out = StringIO()
    call_command("evaluate_checks", "--org", organization.slug, stdout=out)
    assert "failing         incident_closed_within_sla" in out.getvalue()
    assert "failing 1" in out.getvalue()


def test_evaluate_checks_json_has_the_documented_shape(organization, make_incident):
    failing = make_incident(hours_ago=30, title="Checkout down")
    due = make_incident(hours_ago=1)
    RemoteAccountFactory()  # accounts are listed by later checks; ignored here
    out = StringIO()
    call_command("evaluate_checks", "--org", organization.slug, "--json", stdout=out)
    report = json.loads(out.getvalue())

    assert report["organization"] == organization.slug
    assert [check["code"] for check in report["checks"]][:2] == [
        "incident_closed_within_sla",
        "incident_data_loss_recorded",
    ]
    sla = report["checks"][0]
    assert set(sla) == {
        "code", "title", "system", "category", "status", "evaluated_at", "counts", "failing", "due",
    }  # fmt: skip
    assert sla["title"] == "Reported incident should be closed in PagerDuty"
    assert sla["status"] == "failing"
    assert sla["counts"] == {"passing": 0, "due": 1, "failing": 1, "special_cases": 0}
    assert sla["failing"] == [
        {
            "entity_type": "incident",
            "pagerduty_id": failing.external_id,
            "number": failing.number,
            "email": None,
            "title": "Checkout down",
            "deadline": (failing.created_at_remote + timedelta(hours=24)).isoformat(),
            "detail": "Open past its SLA of 24 h (high urgency)",
        }
    ]
    assert [entity["pagerduty_id"] for entity in sla["due"]] == [due.external_id]


def test_evaluate_checks_for_an_unknown_org_fails():
    with pytest.raises(CommandError, match="No organisation"):
        call_command("evaluate_checks", "--org", "nope")
