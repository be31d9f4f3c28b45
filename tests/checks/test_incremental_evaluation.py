"""Scheduled evaluation does work proportional to what changed (`checks.freshness`)."""

from datetime import timedelta

import pytest
from django.db import connection as database
from django.test.utils import CaptureQueriesContext

from checks import tasks
from checks.models import CheckResult, CheckStatus, EvaluationState
from integrations.models import IncidentStatus, RemoteIncident
from tests.checks.conftest import NOW, result_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("connection")]

CLOSED = "incident_closed_within_sla"


def scheduled(evaluate, now):
    return evaluate(now=now, only_if_changed=True)


def test_an_unchanged_organisation_costs_two_queries_for_all_its_checks(evaluate, make_incident):
    for hours_ago in (1, 2, 3, 30):
        make_incident(hours_ago=hours_ago)
    evaluate()

    with CaptureQueriesContext(database) as captured:
        evaluations = scheduled(evaluate, NOW + timedelta(minutes=30))

    assert evaluations == []
    assert len(captured.captured_queries) <= 2


def test_a_change_the_engine_is_told_of_re_evaluates_in_full(organization, evaluate, make_incident):
    incident = make_incident(hours_ago=1)
    evaluate()
    RemoteIncident.objects.filter(pk=incident.pk).update(
        status=IncidentStatus.RESOLVED, resolved_at=NOW
    )

    assert scheduled(evaluate, NOW + timedelta(minutes=5)) == []  # not told: still current
    tasks.evaluation_inputs_changed(organization_id=organization.pk)
    scheduled(evaluate, NOW + timedelta(minutes=10))

    assert result_of(incident, CLOSED).status == CheckStatus.PASSING


def test_a_sync_run_marks_the_inputs_changed(organization, evaluate, make_incident):
    incident = make_incident(hours_ago=1)
    evaluate()
    RemoteIncident.objects.filter(pk=incident.pk).update(
        status=IncidentStatus.RESOLVED, resolved_at=NOW
    )

    tasks.evaluate_organization_after_sync(organization.pk, 0)

    assert result_of(incident, CLOSED).status == CheckStatus.PASSING


def test_only_entities_whose_deadline_passed_are_re_evaluated(evaluate, make_incident):
    soon = make_incident(hours_ago=23)  # high urgency: 24 h SLA, deadline in one hour
    later = make_incident(hours_ago=1)
    evaluate()
    later_updated_at = result_of(later, CLOSED).updated_at

    evaluations = scheduled(evaluate, NOW + timedelta(hours=2))

    assert evaluations, "a passed deadline must be evaluated"
    assert result_of(soon, CLOSED).status == CheckStatus.FAILING
    assert result_of(later, CLOSED).status == CheckStatus.DUE
    assert result_of(later, CLOSED).updated_at == later_updated_at
    assert all(evaluation.created == 0 for evaluation in evaluations)
    state = EvaluationState.objects.get()
    assert state.next_deadline_at == result_of(later, CLOSED).deadline
    assert scheduled(evaluate, NOW + timedelta(hours=3)) == []


def test_a_new_day_evaluates_in_full_and_keeps_the_trend(evaluate, make_incident):
    make_incident(hours_ago=1, resolved_hours_ago=0.5)
    evaluate()

    evaluations = scheduled(evaluate, NOW + timedelta(days=1))

    assert {evaluation.check.code for evaluation in evaluations} >= {CLOSED}


def test_a_connection_change_re_evaluates(connection, evaluate, make_incident):
    make_incident(hours_ago=1)
    evaluate()
    connection.purposes = ["spend"]
    connection.save()

    scheduled(evaluate, NOW + timedelta(minutes=5))

    assert not CheckResult.objects.filter(status=CheckStatus.DUE).exists()


def test_a_narrow_re_evaluation_brings_the_next_deadline_forward(
    organization, evaluate, make_incident
):
    from checks.evaluation import entity_evaluate

    make_incident(hours_ago=1)
    evaluate()
    newer = make_incident(hours_ago=23)  # e.g. stored by a review: due in one hour

    entity_evaluate(organization=organization, entity_type="incident", entity_id=newer.pk, now=NOW)

    assert EvaluationState.objects.get().next_deadline_at == NOW + timedelta(hours=1)


def test_a_narrow_re_evaluation_sets_the_first_next_deadline(organization, evaluate, make_incident):
    from checks.evaluation import entity_evaluate

    make_incident(hours_ago=3, resolved_hours_ago=2)  # nothing due
    evaluate()
    assert EvaluationState.objects.get().next_deadline_at is None
    newer = make_incident(hours_ago=23)  # due in one hour

    entity_evaluate(organization=organization, entity_type="incident", entity_id=newer.pk, now=NOW)

    assert EvaluationState.objects.get().next_deadline_at == NOW + timedelta(hours=1)
