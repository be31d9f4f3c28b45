"""A special case may have an expiry date: from that day on it no longer counts, the entity goes
back to what the check finds at the next evaluation, and Monitoring shows it as expired."""

import csv
import io
from datetime import UTC, datetime, time, timedelta
from unittest import mock

import pytest
from django.urls import reverse

from checks import services
from checks.models import CheckStatus, CheckSummary, SpecialCase, SpecialCaseState
from checks.registry import check_get
from tests.checks.conftest import NOW, result_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
CODE = "incident_closed_within_sla"
EXPIRES_ON = NOW.date() + timedelta(days=7)
ON_EXPIRY_DAY = NOW + timedelta(days=7)


@pytest.fixture
def failing_incident(make_incident, evaluate):
    incident = make_incident(hours_ago=30, title="Game day")
    evaluate()
    return incident


@pytest.fixture
def expiring_case(organization, failing_incident, owner):
    return services.special_case_create(
        organization=organization,
        check=check_get(CODE),
        entity_id=failing_incident.pk,
        reason="Game day until the drill ends",
        evidence=None,
        acting_user=owner,
        expires_on=EXPIRES_ON,
    )


def later(moment):
    """Pages read the clock themselves: move it."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_special_case_counts_until_the_day_before_it_expires(
    expiring_case, failing_incident, evaluate
):
    last_minute_before_expiry = datetime.combine(EXPIRES_ON, time.min, tzinfo=UTC) - timedelta(
        minutes=1
    )
    evaluate(now=last_minute_before_expiry)
    result = result_of(failing_incident, CODE)
    assert (result.status, result.special_case) == (CheckStatus.PASSING, expiring_case)


def test_an_expired_special_case_stops_counting_at_the_next_evaluation(
    organization, expiring_case, failing_incident, evaluate
):
    evaluate(now=ON_EXPIRY_DAY)

    result = result_of(failing_incident, CODE)
    assert (result.status, result.special_case) == (CheckStatus.FAILING, None)
    summary = CheckSummary.objects.get(organization=organization, check_code=CODE)
    assert (summary.status, summary.failing_count, summary.special_case_count) == (
        CheckStatus.FAILING,
        1,
        0,
    )
    expiring_case.refresh_from_db()
    assert expiring_case.withdrawn_at is None
    assert expiring_case.state(on=ON_EXPIRY_DAY.date()) == SpecialCaseState.EXPIRED


def test_monitoring_and_the_drill_down_show_the_expired_special_case(
    organization, expiring_case, failing_incident, evaluate, member_client
):
    evaluate(now=ON_EXPIRY_DAY)
    with later(ON_EXPIRY_DAY):
        monitoring = member_client.get(reverse("checks:monitoring", args=[organization.slug]))
        drill_down = member_client.get(
            reverse("checks:check_detail", args=[organization.slug, CODE]) + "?status=expired"
        )
        incident_page = member_client.get(
            reverse("incidents:incident_detail", args=[organization.slug, failing_incident.pk])
        )

    assert "1 special case expired" in monitoring.content.decode()
    assert [row["result"].entity_id for row in drill_down.context["rows"]] == [failing_incident.pk]
    assert f"Special case expired on {EXPIRES_ON.isoformat()}" in drill_down.content.decode()
    assert f"Expired on {EXPIRES_ON.isoformat()}" in incident_page.content.decode()


def test_an_expired_entity_can_be_marked_again_and_keeps_its_history(
    organization, expiring_case, failing_incident, evaluate, owner
):
    evaluate(now=ON_EXPIRY_DAY)
    with later(ON_EXPIRY_DAY):
        renewed = services.special_case_create(
            organization=organization,
            check=check_get(CODE),
            entity_id=failing_incident.pk,
            reason="Drill extended",
            evidence=None,
            acting_user=owner,
        )
        assert result_of(failing_incident, CODE).special_case == renewed
        expiring_case.refresh_from_db()
        assert expiring_case.current_state == SpecialCaseState.EXPIRED
        assert renewed.current_state == SpecialCaseState.ACTIVE


def test_an_expiry_date_must_be_in_the_future(organization, failing_incident, owner, admin_client):
    with pytest.raises(services.ChecksError, match="after today"):
        services.special_case_create(
            organization=organization,
            check=check_get(CODE),
            entity_id=failing_incident.pk,
            reason="Too late",
            evidence=None,
            acting_user=owner,
            expires_on=NOW.date(),
        )
    url = reverse("checks:special_case_create", args=[organization.slug, CODE, failing_incident.pk])
    response = admin_client.post(url, {"reason": "x", "expires_on": NOW.date().isoformat()})
    assert response.status_code == 400
    assert b'id="id_expires_on_error"' in response.content
    assert not SpecialCase.objects.exists()


def test_the_form_records_the_expiry_and_the_evidence_says_it(
    organization, failing_incident, admin_client
):
    url = reverse("checks:special_case_create", args=[organization.slug, CODE, failing_incident.pk])
    response = admin_client.post(url, {"reason": "Drill", "expires_on": EXPIRES_ON.isoformat()})
    assert response.status_code == 302
    assert SpecialCase.objects.get().expires_on == EXPIRES_ON

    start, end = (NOW.date() - timedelta(days=2)).isoformat(), NOW.date().isoformat()
    export = admin_client.post(
        reverse("checks:evidence_export", args=[organization.slug]), {"start": start, "end": end}
    )
    rows = csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode()))
    row = next(row for row in rows if row["check_code"] == CODE)
    assert row["special_case_expires_on"] == EXPIRES_ON.isoformat()
