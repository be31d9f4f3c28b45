"""After a sync, evaluation work is proportional to what the sync changed
(`checks.evaluation.organization_evaluate_after_sync`)."""

from datetime import timedelta

import pytest
from django.db import connection as database
from django.test.utils import CaptureQueriesContext

from checks import tasks
from checks.evaluation import organization_evaluate, organization_evaluate_after_sync
from checks.models import CheckResult, CheckStatus, CheckSummary, EvaluationState
from integrations.models import IncidentStatus, RemoteIncident, RemotePriority
from integrations.pagerduty.sync.upsert import upsert_records
from tests.checks.conftest import NOW, result_of
from tests.factories import RemotePriorityFactory, RemoteServiceFactory, SyncRunFactory
from tests.incidents.factories import (
    IncidentPolicyFactory,
    IncidentSourceFactory,
    PrioritySlaFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("connection")]

CLOSED = "incident_closed_within_sla"
DATA_LOSS = "incident_data_loss_recorded"
STORED_AT = NOW - timedelta(hours=2)  # when the incidents were first synced
EVALUATED_AT = NOW - timedelta(minutes=30)  # the last full evaluation
SYNC_AT = NOW - timedelta(minutes=10)  # the sync this evaluation follows


@pytest.fixture
def stored_incident(make_incident):
    """An incident a sync stored before the last full evaluation."""

    def make(**fields):
        fields.setdefault("synced_at", STORED_AT)
        return make_incident(**fields)

    return make


@pytest.fixture
def incidents(stored_incident, evaluate):
    """Ten open incidents, evaluated in full: the organisation's results are current."""
    made = [stored_incident(hours_ago=hours_ago) for hours_ago in range(1, 11)]
    evaluate(now=EVALUATED_AT)
    return made


def sync_writes(incident, **values):
    """Store new values the way the sync does (`upsert_records` sets `synced_at`)."""
    upsert_records(
        RemoteIncident,
        connection=incident.connection,
        records={incident.external_id: values},
        now=SYNC_AT,
    )


def after_sync(organization, now=NOW):
    return organization_evaluate_after_sync(
        organization=organization, changed_since=SYNC_AT, now=now
    )


def stored(organization):
    """What the engine stored, without the times it was written at."""
    results = CheckResult.objects.filter(organization=organization).order_by(
        "check_code", "entity_id"
    )
    summaries = CheckSummary.objects.filter(organization=organization).order_by("check_code")
    return (
        list(
            results.values_list(
                "check_code",
                "entity_id",
                "entity_label",
                "entity_extra",
                "status",
                "evaluated_status",
                "deadline",
                "detail",
                "special_case_id",
            )
        ),
        list(
            summaries.values_list(
                "check_code",
                "status",
                "passing_count",
                "due_count",
                "failing_count",
                "special_case_count",
                "detail",
            )
        ),
    )


def assert_a_full_evaluation_finds_nothing_to_change(organization, now=NOW):
    before = stored(organization)

    evaluations = organization_evaluate(organization=organization, now=now)

    assert [
        (evaluation.check.code, evaluation.created, evaluation.updated, evaluation.status_changes)
        for evaluation in evaluations
    ] == [(evaluation.check.code, 0, 0, 0) for evaluation in evaluations]
    assert stored(organization) == before


def incident_checks_evaluated(evaluations):
    return {evaluation.check.code for evaluation in evaluations} & {CLOSED, DATA_LOSS}


def test_only_the_incidents_a_sync_changed_are_re_evaluated(organization, incidents):
    resolved, noted, untouched = incidents[0], incidents[1], incidents[2]
    sync_writes(resolved, status=IncidentStatus.RESOLVED, resolved_at=SYNC_AT)
    sync_writes(noted, resolution_note="Data loss: 12 invoices were not stored.")
    # Changed without the sync's mark: an evaluation of the changed incidents does not read it.
    RemoteIncident.objects.filter(pk=untouched.pk).update(status=IncidentStatus.RESOLVED)

    after_sync(organization)

    assert result_of(resolved, CLOSED).status == CheckStatus.PASSING
    assert result_of(noted, DATA_LOSS).status == CheckStatus.FAILING
    assert result_of(untouched, CLOSED).status == CheckStatus.DUE


def test_results_after_a_sync_equal_what_a_full_evaluation_stores(
    organization, incidents, stored_incident
):
    sync_writes(incidents[0], status=IncidentStatus.RESOLVED, resolved_at=SYNC_AT)
    sync_writes(incidents[1], status=IncidentStatus.ACKNOWLEDGED, urgency="low")
    sync_writes(incidents[2], custom_fields={"data_loss": "yes"}, data_loss_field=True)
    sync_writes(incidents[3], title="Checkout down (renamed)")
    stored_incident(hours_ago=0.5, synced_at=SYNC_AT)  # new in this sync

    evaluations = after_sync(organization)

    assert incident_checks_evaluated(evaluations) == {CLOSED, DATA_LOSS}
    assert CheckSummary.objects.get(organization=organization, check_code=CLOSED).due_count == 10
    assert_a_full_evaluation_finds_nothing_to_change(organization)


def test_the_work_does_not_grow_with_the_incidents_the_sync_left_alone(
    organization, stored_incident, evaluate
):
    def queries_after_a_sync_changing_two(incident_count):
        made = [stored_incident(hours_ago=1 + n / 10) for n in range(incident_count)]
        evaluate(now=EVALUATED_AT)
        for incident in made[:2]:
            sync_writes(incident, status=IncidentStatus.RESOLVED, resolved_at=SYNC_AT)
        with CaptureQueriesContext(database) as captured:
            after_sync(organization)
        RemoteIncident.objects.all().delete()
        CheckResult.objects.all().delete()
        return len(captured.captured_queries)

    assert queries_after_a_sync_changing_two(5) == queries_after_a_sync_changing_two(60)


def test_a_sync_that_changed_nothing_costs_a_few_queries_and_evaluates_no_check(
    organization, incidents
):
    with CaptureQueriesContext(database) as captured:
        evaluations = after_sync(organization)

    assert evaluations == []
    # Connections and state, then what each kind saw change (incidents: changed, priorities
    # renamed, gone; accounts: changed, gone; staff: any account changed): 8 reads for all
    # eight checks whatever the number of incidents, and nothing written.
    assert len(captured.captured_queries) <= 8
    assert not [query for query in captured.captured_queries if "UPDATE" in query["sql"]]
    state = EvaluationState.objects.get(organization=organization)
    assert state.evaluated_version == state.inputs_version


def test_the_next_scheduled_run_skips_the_organisation(organization, incidents):
    sync_writes(incidents[0], status=IncidentStatus.RESOLVED, resolved_at=SYNC_AT)

    after_sync(organization)

    state = EvaluationState.objects.get(organization=organization)
    assert state.evaluated_version == state.inputs_version
    assert state.evaluated_at == EVALUATED_AT  # the last full evaluation, for the daily one
    assert organization_evaluate(organization=organization, now=NOW, only_if_changed=True) == []


def test_incidents_whose_deadline_passed_are_re_evaluated_with_the_changed_ones(
    organization, stored_incident, evaluate
):
    soon = stored_incident(hours_ago=24.25)  # 24 h SLA: due until 15 minutes before NOW
    changed = stored_incident(hours_ago=2)
    evaluate(now=EVALUATED_AT)
    sync_writes(changed, status=IncidentStatus.RESOLVED, resolved_at=SYNC_AT)

    after_sync(organization)

    assert result_of(soon, CLOSED).status == CheckStatus.FAILING
    assert result_of(changed, CLOSED).status == CheckStatus.PASSING
    assert_a_full_evaluation_finds_nothing_to_change(organization)


def test_an_incident_that_is_gone_is_retired(organization, incidents):
    gone = incidents[0]
    RemoteIncident.objects.filter(pk=gone.pk).delete()

    after_sync(organization)

    assert result_of(gone, CLOSED).status == CheckStatus.NOT_APPLICABLE
    assert result_of(gone, DATA_LOSS).status == CheckStatus.NOT_APPLICABLE
    assert CheckSummary.objects.get(organization=organization, check_code=CLOSED).due_count == 9
    assert_a_full_evaluation_finds_nothing_to_change(organization)


def test_an_incident_moved_out_of_the_sources_is_retired(
    organization, connection, service, stored_incident, evaluate
):
    IncidentSourceFactory(service=service)
    IncidentPolicyFactory(organization=organization, sources_narrowed=True)
    moved = stored_incident(hours_ago=1)
    stays = stored_incident(hours_ago=2)
    evaluate(now=EVALUATED_AT)
    elsewhere = RemoteServiceFactory(connection=connection, name="Internal tools")

    sync_writes(moved, service_id=elsewhere.pk, service_external_id=elsewhere.external_id)
    after_sync(organization)

    assert result_of(moved, CLOSED).status == CheckStatus.NOT_APPLICABLE
    assert result_of(stays, CLOSED).status == CheckStatus.DUE
    assert_a_full_evaluation_finds_nothing_to_change(organization)


def test_a_renamed_priority_re_evaluates_its_incidents(
    organization, connection, stored_incident, evaluate
):
    priority = RemotePriorityFactory(connection=connection, name="P1", synced_at=STORED_AT)
    PrioritySlaFactory(priority=priority, sla_hours=4)
    incident = stored_incident(hours_ago=1, priority=priority)
    evaluate(now=EVALUATED_AT)

    upsert_records(
        RemotePriority,
        connection=connection,
        records={priority.external_id: {"name": "SEV-1"}},
        now=SYNC_AT,
    )
    after_sync(organization)

    assert "priority SEV-1" in result_of(incident, CLOSED).detail
    assert_a_full_evaluation_finds_nothing_to_change(organization)


def test_a_sync_that_changed_many_incidents_is_evaluated_in_full(
    organization, incidents, monkeypatch
):
    monkeypatch.setattr("checks.evaluation.AFTER_SYNC_MAX_ENTITIES", 2)
    for incident in incidents[:3]:
        sync_writes(incident, status=IncidentStatus.RESOLVED, resolved_at=SYNC_AT)
    untold = incidents[3]
    RemoteIncident.objects.filter(pk=untold.pk).update(status=IncidentStatus.RESOLVED)

    after_sync(organization)

    assert result_of(untold, CLOSED).status == CheckStatus.PASSING
    assert organization_evaluate(organization=organization, now=NOW, only_if_changed=True) == []


def test_a_stale_organisation_is_still_evaluated_in_full(organization, incidents):
    untold = incidents[0]
    RemoteIncident.objects.filter(pk=untold.pk).update(status=IncidentStatus.RESOLVED)
    tasks.evaluation_inputs_changed(organization_id=organization.pk)  # e.g. a staff change

    evaluations = after_sync(organization)

    assert incident_checks_evaluated(evaluations) == {CLOSED, DATA_LOSS}
    assert result_of(untold, CLOSED).status == CheckStatus.PASSING


def test_a_policy_change_still_triggers_a_full_evaluation(organization, incidents):
    untold = incidents[0]
    RemoteIncident.objects.filter(pk=untold.pk).update(status=IncidentStatus.RESOLVED)
    tasks.organization_evaluation_enqueue(
        organization_id=organization.pk, enqueue=lambda *args, **kwargs: None
    )

    after_sync(organization)

    assert result_of(untold, CLOSED).status == CheckStatus.PASSING


def test_a_new_day_is_evaluated_in_full(organization, incidents):
    untold = incidents[0]
    RemoteIncident.objects.filter(pk=untold.pk).update(status=IncidentStatus.RESOLVED)

    after_sync(organization, now=NOW + timedelta(days=1))

    assert result_of(untold, CLOSED).status == CheckStatus.PASSING


def test_the_task_evaluates_what_its_sync_run_changed(
    organization, connection, incidents, frozen_clock
):
    resolved, untouched = incidents[0], incidents[1]
    run = SyncRunFactory(connection=connection, started_at=SYNC_AT)
    sync_writes(resolved, status=IncidentStatus.RESOLVED, resolved_at=SYNC_AT)
    RemoteIncident.objects.filter(pk=untouched.pk).update(status=IncidentStatus.RESOLVED)

    statuses = tasks.evaluate_organization_after_sync(organization.pk, run.pk)

    assert statuses[CLOSED]["updated"] == 1
    assert result_of(resolved, CLOSED).status == CheckStatus.PASSING
    assert result_of(untouched, CLOSED).status == CheckStatus.DUE
