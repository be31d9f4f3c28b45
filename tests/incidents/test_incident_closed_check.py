"""“Reported incident should be closed in PagerDuty”: due within the SLA, failing past it,
passing once resolved; the priority's SLA wins over the urgency's."""

from datetime import timedelta

import pytest

from checks.evaluation import organization_evaluate
from checks.models import (
    CheckResultChange,
    CheckStatus,
    CheckSummary,
    CheckSummaryChange,
)
from checks.registry import check_get
from incidents.models import IncidentPolicy
from integrations.models import ConnectionStatus, IncidentStatus, Purpose
from tests.checks.conftest import NOW, result_of
from tests.factories import ConnectionFactory, RemotePriorityFactory, RemoteServiceFactory
from tests.incidents.factories import IncidentSourceFactory, PrioritySlaFactory

pytestmark = pytest.mark.django_db
CODE = "incident_closed_within_sla"
SLA_CHECK = check_get(CODE)


def evaluate_sla(organization, now):
    organization_evaluate(organization=organization, now=now, checks=[SLA_CHECK])


def test_open_high_urgency_incident_is_due_then_failing_as_the_clock_passes_its_24_hours(
    organization, make_incident
):
    incident = make_incident(hours_ago=0, urgency="high")
    created = incident.created_at_remote

    evaluate_sla(organization, created + timedelta(hours=1))
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.DUE
    assert result.deadline == created + timedelta(hours=24)

    evaluate_sla(organization, created + timedelta(hours=23, minutes=59))
    assert result_of(incident, CODE).status == CheckStatus.DUE

    evaluate_sla(organization, created + timedelta(hours=24))
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.FAILING
    assert "past its SLA of 24 h" in result.detail


def test_resolving_a_failing_incident_makes_it_pass_and_records_that_it_was_late(
    organization, make_incident
):
    incident = make_incident(hours_ago=30)
    evaluate_sla(organization, NOW)
    assert result_of(incident, CODE).status == CheckStatus.FAILING

    incident.status = IncidentStatus.RESOLVED
    incident.resolved_at = NOW + timedelta(minutes=30)
    incident.save()
    evaluate_sla(organization, NOW + timedelta(hours=1))

    result = result_of(incident, CODE)
    assert result.status == CheckStatus.PASSING
    assert result.detail.startswith("Resolved 6 h 30 min late")


def test_incident_resolved_within_its_sla_passes(organization, make_incident):
    incident = make_incident(hours_ago=10, resolved_hours_ago=8)
    evaluate_sla(organization, NOW)
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.PASSING
    assert result.detail.startswith("Resolved within its SLA")


def test_low_urgency_incident_gets_the_72_hour_default(organization, make_incident):
    incident = make_incident(hours_ago=48, urgency="low")
    evaluate_sla(organization, NOW)
    result = result_of(incident, CODE)
    assert result.status == CheckStatus.DUE
    assert result.deadline == incident.created_at_remote + timedelta(hours=72)


def test_priority_sla_wins_over_the_urgency_sla(organization, connection, make_incident):
    p1 = RemotePriorityFactory(connection=connection, name="P1", rank=0)
    p3 = RemotePriorityFactory(connection=connection, name="P3", rank=2)
    PrioritySlaFactory(priority=p1, sla_hours=4)
    urgent = make_incident(hours_ago=5, urgency="low", priority=p1)
    without_priority_sla = make_incident(hours_ago=5, urgency="high", priority=p3)

    evaluate_sla(organization, NOW)

    urgent_result = result_of(urgent, CODE)
    assert urgent_result.status == CheckStatus.FAILING
    assert urgent_result.deadline == urgent.created_at_remote + timedelta(hours=4)
    assert "priority P1" in urgent_result.detail
    other = result_of(without_priority_sla, CODE)
    assert other.status == CheckStatus.DUE
    assert "high urgency" in other.detail


def test_an_edited_urgency_sla_applies_at_the_next_evaluation(organization, make_incident):
    incident = make_incident(hours_ago=10)
    evaluate_sla(organization, NOW)
    assert result_of(incident, CODE).status == CheckStatus.DUE

    IncidentPolicy.objects.create(organization=organization, sla_hours_high=8)
    evaluate_sla(organization, NOW)
    assert result_of(incident, CODE).status == CheckStatus.FAILING


def test_overall_status_is_the_worst_entity_status_with_counts(organization, make_incident):
    make_incident(hours_ago=30)
    make_incident(hours_ago=2)
    make_incident(hours_ago=2, resolved_hours_ago=1)
    evaluate_sla(organization, NOW)

    summary = CheckSummary.objects.get(organization=organization, check_code=CODE)
    assert (summary.status, summary.passing_count, summary.due_count, summary.failing_count) == (
        CheckStatus.FAILING,
        1,
        1,
        1,
    )
    assert summary.evaluated_at == NOW


def test_organisation_without_incident_management_connection_is_not_applicable(organization):
    evaluate_sla(organization, NOW)
    summary = CheckSummary.objects.get(organization=organization, check_code=CODE)
    assert summary.status == CheckStatus.NOT_APPLICABLE
    assert "Settings > Integrations" in summary.detail


def test_not_applicable_hint_says_what_is_actually_missing(organization):
    connection = ConnectionFactory(organization=organization, purposes=[Purpose.SPEND])
    evaluate_sla(organization, NOW)
    summary = CheckSummary.objects.get(organization=organization, check_code=CODE)
    assert summary.detail.startswith("PagerDuty is connected without incident management")

    connection.purposes = [Purpose.INCIDENT_MANAGEMENT]
    connection.status = ConnectionStatus.REVOKED
    connection.save()
    evaluate_sla(organization, NOW + timedelta(hours=1))
    summary.refresh_from_db()
    assert summary.detail.startswith("The PagerDuty connection was revoked")


def test_connected_organisation_without_incidents_passes(organization, connection):
    evaluate_sla(organization, NOW)
    assert CheckSummary.objects.get(organization=organization, check_code=CODE).status == (
        CheckStatus.PASSING
    )


def test_revoking_the_connection_makes_its_incidents_not_applicable(
    organization, connection, make_incident
):
    incident = make_incident(hours_ago=30)
    evaluate_sla(organization, NOW)
    connection.status = ConnectionStatus.REVOKED
    connection.save()

    evaluate_sla(organization, NOW + timedelta(hours=1))

    assert result_of(incident, CODE).status == CheckStatus.NOT_APPLICABLE
    assert CheckSummary.objects.get(organization=organization, check_code=CODE).status == (
        CheckStatus.NOT_APPLICABLE
    )


def test_every_service_is_a_source_until_an_admin_narrows_the_choice(
    organization, connection, service, make_incident
):
    other_service = RemoteServiceFactory(connection=connection, name="Internal wiki")
    checkout_incident = make_incident(hours_ago=30)
    wiki_incident = make_incident(hours_ago=30, service=other_service)
    evaluate_sla(organization, NOW)
    assert result_of(wiki_incident, CODE).status == CheckStatus.FAILING

    IncidentPolicy.objects.create(organization=organization, sources_narrowed=True)
    IncidentSourceFactory(service=service)
    evaluate_sla(organization, NOW + timedelta(minutes=5))

    assert result_of(checkout_incident, CODE).status == CheckStatus.FAILING
    assert result_of(wiki_incident, CODE).status == CheckStatus.NOT_APPLICABLE
    summary = CheckSummary.objects.get(organization=organization, check_code=CODE)
    assert summary.failing_count == 1


def test_history_is_written_only_when_a_status_changes(organization, make_incident):
    incident = make_incident(hours_ago=20)
    evaluate_sla(organization, NOW)
    evaluate_sla(organization, NOW + timedelta(hours=1))  # still due: nothing new
    evaluate_sla(organization, NOW + timedelta(hours=5))  # past 24 h: failing

    changes = list(
        CheckResultChange.objects.filter(entity_id=incident.pk, check_code=CODE).values_list(
            "from_status", "to_status", "at"
        )
    )
    assert changes == [
        ("", CheckStatus.DUE, NOW),
        (CheckStatus.DUE, CheckStatus.FAILING, NOW + timedelta(hours=5)),
    ]
    overall = list(
        CheckSummaryChange.objects.filter(organization=organization, check_code=CODE)
        .order_by("at")
        .values_list("from_status", "to_status")
    )
    assert overall == [("", CheckStatus.DUE), (CheckStatus.DUE, CheckStatus.FAILING)]
    assert result_of(incident, CODE).status_since == NOW + timedelta(hours=5)


def test_an_unchanged_organisation_writes_no_result_rows(organization, make_incident):
    for hours_ago in (1, 2, 30):
        make_incident(hours_ago=hours_ago)
    first = organization_evaluate(organization=organization, now=NOW)
    second = organization_evaluate(organization=organization, now=NOW + timedelta(minutes=1))

    assert [evaluation.created for evaluation in first][:2] == [3, 3]
    assert {(evaluation.created, evaluation.updated) for evaluation in second} == {(0, 0)}


def test_deleted_incident_result_becomes_not_applicable(organization, make_incident):
    incident = make_incident(hours_ago=30)
    evaluate_sla(organization, NOW)
    incident_id = incident.pk
    incident.delete()
    evaluate_sla(organization, NOW + timedelta(minutes=1))
    change = CheckResultChange.objects.filter(entity_id=incident_id).order_by("at").last()
    assert change.to_status == CheckStatus.NOT_APPLICABLE
