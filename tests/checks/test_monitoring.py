"""Monitoring: every check with its status, counts, evaluation time and trend; drill-down to
the failing entities with what to do; the evidence CSV."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse

from checks import services
from checks.models import CheckStatus
from checks.registry import check_get, check_list
from tenants.models import AuditEvent
from tests.checks.conftest import NOW
from tests.factories import RemoteIncidentFactory, RemoteServiceFactory
from tests.incidents.factories import DataLossReviewFactory, DisclosureFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def monitoring_url(organization):
    return reverse("checks:monitoring", args=[organization.slug])


def check_url(organization, code, status=None):
    url = reverse("checks:check_detail", args=[organization.slug, code])
    return f"{url}?status={status}" if status else url


def export(client, organization, start, end):
    response = client.post(
        reverse("checks:evidence_export", args=[organization.slug]), {"start": start, "end": end}
    )
    assert response.status_code == 200
    return response, list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode()))
    )


def test_monitoring_lists_every_check_with_status_counts_and_trend(
    member_client, organization, make_incident, evaluate
):
    make_incident(hours_ago=30)
    make_incident(hours_ago=2)
    evaluate(now=NOW - timedelta(days=1))
    evaluate()

    response = member_client.get(monitoring_url(organization))

    content = response.content.decode()
    for check in check_list():
        assert check.title in content
    row = next(
        r for r in response.context["rows"] if r["check"].code == "incident_closed_within_sla"
    )
    assert row["summary"].status == CheckStatus.FAILING
    assert (row["summary"].due_count, row["summary"].failing_count) == (1, 1)
    assert [bar["point"].day for bar in row["trend"]] == [
        (NOW - timedelta(days=1)).date(),
        NOW.date(),
    ]
    assert row["trend"][-1]["failing_height"] == 14  # half of the 28-pixel bar


def test_monitoring_before_connecting_says_where_to_connect(member_client, organization):
    content = member_client.get(monitoring_url(organization)).content.decode()
    assert "Settings &gt; Integrations" in content
    assert "Not evaluated yet" in content


@pytest.mark.parametrize("incident_count", [3, 150])
def test_monitoring_and_drill_down_queries_are_bounded(
    member_client, organization, connection, evaluate, incident_count, django_assert_max_num_queries
):
    service = RemoteServiceFactory(connection=connection)
    RemoteIncidentFactory.create_batch(
        incident_count,
        connection=connection,
        service=service,
        created_at_remote=NOW - timedelta(days=3),
    )
    evaluate()
    with django_assert_max_num_queries(12):
        assert member_client.get(monitoring_url(organization)).status_code == 200
    with django_assert_max_num_queries(12):
        response = member_client.get(check_url(organization, "incident_closed_within_sla"))
    assert len(response.context["rows"]) == min(incident_count, 50)


def test_drill_down_lists_failing_entities_with_how_to_fix(
    admin_client, organization, make_incident, evaluate
):
    failing = make_incident(hours_ago=30, title="Checkout down")
    make_incident(hours_ago=1, title="Just opened")
    evaluate()

    response = admin_client.get(check_url(organization, "incident_closed_within_sla"))

    content = response.content.decode()
    assert f"#{failing.number} Checkout down" in content
    assert "Just opened" not in content
    assert check_get("incident_closed_within_sla").how_to_fix.split("“")[0] in content
    assert "Mark special case" in content
    due = admin_client.get(check_url(organization, "incident_closed_within_sla", "due"))
    assert "Just opened" in due.content.decode()


def test_unknown_check_is_not_found(member_client, organization):
    assert member_client.get(check_url(organization, "no_such_check")).status_code == 404


def test_evidence_csv_has_each_checks_incidents_with_late_resolutions_data_loss_and_special_cases(
    member_client, organization, make_incident, evaluate, owner
):
    late = make_incident(hours_ago=40, resolved_hours_ago=2, title="Late fix")
    lost = make_incident(hours_ago=5, resolved_hours_ago=1, title="Lost rows")
    review = DataLossReviewFactory(
        incident=lost,
        data_loss="yes",
        data_kinds=["payment_data"],
        records_affected=7,
        stakeholders=["regulator"],
    )
    DisclosureFactory(review=review, stakeholder="regulator", done=True, disclosed_on=NOW.date())
    excused = make_incident(hours_ago=30, title="=cmd|' /C calc'!A0")
    evaluate()
    services.special_case_create(
        organization=organization,
        check=check_get("incident_closed_within_sla"),
        entity_id=excused.pk,
        reason="Chaos test",
        evidence=None,
        acting_user=owner,
    )

    day = NOW.date()
    response, rows = export(member_client, organization, day - timedelta(days=3), day)

    assert response["Content-Disposition"].startswith("attachment;")
    sla_rows = {
        row["pagerduty_id"]: row
        for row in rows
        if row["check_code"] == "incident_closed_within_sla"
    }
    assert sla_rows[late.external_id]["resolved_late"] == "yes"
    assert sla_rows[late.external_id]["resolution_hours"] == "38.0"
    assert sla_rows[lost.external_id]["resolved_late"] == "no"
    assert sla_rows[excused.external_id]["special_case_reason"] == "Chaos test"
    assert sla_rows[excused.external_id]["check_status"] == "passing"
    assert sla_rows[excused.external_id]["title"].startswith("'=")  # no spreadsheet formulas
    data_loss_row = next(
        row
        for row in rows
        if row["check_code"] == "incident_data_loss_recorded"
        and row["pagerduty_id"] == lost.external_id
    )
    assert data_loss_row["data_loss"] == "Yes"
    assert data_loss_row["data_loss_flagged_by"] == "By hand"
    assert data_loss_row["data_kinds"] == "Payment data"
    assert data_loss_row["records_affected"] == "7"
    assert data_loss_row["disclosures"] == f"Regulator: done {NOW.date().isoformat()}"
    assert AuditEvent.objects.filter(action="evidence.export").count() == 1


def test_evidence_csv_covers_only_incidents_reported_in_the_range(
    member_client, organization, make_incident, evaluate
):
    make_incident(hours_ago=24 * 10, resolved_hours_ago=24 * 9, title="Old")
    recent = make_incident(hours_ago=2, title="Recent")
    evaluate()
    _, rows = export(member_client, organization, NOW.date(), NOW.date())
    assert {row["pagerduty_id"] for row in rows} == {recent.external_id}


def test_evidence_export_with_a_reversed_range_is_refused_beside_the_field(
    member_client, organization
):
    response = member_client.post(
        reverse("checks:evidence_export", args=[organization.slug]),
        {"start": "2026-03-05", "end": "2026-03-01"},
    )
    assert response.status_code == 400
    assert 'id="id_end_error">The end date is before the start date.' in response.content.decode()
