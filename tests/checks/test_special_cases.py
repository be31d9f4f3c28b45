"""Special cases: a failing entity marked out of scope counts as passing until withdrawn."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from checks import services
from checks.models import CheckStatus, CheckSummary, SpecialCase
from checks.registry import check_get
from tenants.models import AuditEvent
from tests.checks.conftest import NOW, result_of
from tests.checks.factories import SpecialCaseFactory

pytestmark = pytest.mark.django_db
CODE = "incident_closed_within_sla"
SLA_CHECK = check_get(CODE)


@pytest.fixture
def failing_incident(make_incident, evaluate):
    incident = make_incident(hours_ago=30, title="Load test alert")
    evaluate()
    assert result_of(incident, CODE).status == CheckStatus.FAILING
    return incident


def test_marking_a_failing_incident_a_special_case_makes_it_pass(
    organization, failing_incident, owner
):
    special_case = services.special_case_create(
        organization=organization,
        check=SLA_CHECK,
        entity_id=failing_incident.pk,
        reason="Load test, not a real incident.",
        evidence=None,
        acting_user=owner,
    )

    result = result_of(failing_incident, CODE)
    assert result.status == CheckStatus.PASSING
    assert result.evaluated_status == CheckStatus.FAILING
    assert result.special_case == special_case
    summary = CheckSummary.objects.get(organization=organization, check_code=CODE)
    assert (summary.status, summary.failing_count, summary.special_case_count) == (
        CheckStatus.PASSING,
        0,
        1,
    )
    assert special_case.created_by == owner
    assert special_case.entity_label == "Load test alert"
    event = AuditEvent.objects.get(action="special_case.create")
    assert event.details["reason"] == "Load test, not a real incident."


def test_special_case_survives_later_evaluations(organization, failing_incident, owner, evaluate):
    services.special_case_create(
        organization=organization,
        check=SLA_CHECK,
        entity_id=failing_incident.pk,
        reason="Duplicate of #12",
        evidence=None,
        acting_user=owner,
    )
    evaluate(now=NOW + timedelta(hours=2))
    assert result_of(failing_incident, CODE).status == CheckStatus.PASSING


def test_withdrawing_a_special_case_puts_the_failure_back(organization, failing_incident, owner):
    special_case = services.special_case_create(
        organization=organization,
        check=SLA_CHECK,
        entity_id=failing_incident.pk,
        reason="Duplicate",
        evidence=None,
        acting_user=owner,
    )
    services.special_case_withdraw(special_case=special_case, acting_user=owner)

    special_case.refresh_from_db()
    assert special_case.withdrawn_at is not None and special_case.withdrawn_by == owner
    result = result_of(failing_incident, CODE)
    assert result.status == CheckStatus.FAILING
    assert result.special_case is None
    assert AuditEvent.objects.filter(action="special_case.withdraw").count() == 1
    with pytest.raises(services.ChecksError):
        services.special_case_withdraw(special_case=special_case, acting_user=owner)


def test_only_a_failing_entity_can_be_marked(organization, make_incident, evaluate, owner):
    incident = make_incident(hours_ago=1)
    evaluate()
    with pytest.raises(services.ChecksError, match="Only an entity failing"):
        services.special_case_create(
            organization=organization,
            check=SLA_CHECK,
            entity_id=incident.pk,
            reason="Why not",
            evidence=None,
            acting_user=owner,
        )
    assert not SpecialCase.objects.exists()


def test_an_entity_can_have_one_active_special_case_per_check(
    organization, failing_incident, owner
):
    arguments = {
        "organization": organization,
        "check": SLA_CHECK,
        "entity_id": failing_incident.pk,
        "reason": "Test",
        "evidence": None,
        "acting_user": owner,
    }
    services.special_case_create(**arguments)
    with pytest.raises(services.ChecksError, match="already a special case"):
        services.special_case_create(**arguments)


def test_admin_marks_a_special_case_with_evidence_from_the_incident_page(
    admin_client, organization, failing_incident
):
    url = reverse("checks:special_case_create", args=[organization.slug, CODE, failing_incident.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert b"Reported incident should be closed in PagerDuty" in page.content

    response = admin_client.post(
        url,
        {
            "reason": "Synthetic monitoring test.",
            "evidence": SimpleUploadedFile("ticket.txt", b"Ticket OPS-12: planned test"),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "incidents:incident_detail", args=[organization.slug, failing_incident.pk]
    )
    special_case = SpecialCase.objects.get()
    assert special_case.evidence_name == "ticket.txt"
    download = admin_client.get(
        reverse(
            "checks:special_case_evidence",
            args=[organization.slug, CODE, failing_incident.pk, special_case.pk],
        )
    )
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == b"Ticket OPS-12: planned test"


def test_special_case_without_a_reason_is_refused_beside_the_field(
    admin_client, organization, failing_incident
):
    url = reverse("checks:special_case_create", args=[organization.slug, CODE, failing_incident.pk])
    response = admin_client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert b'id="id_reason_error"' in response.content
    assert not SpecialCase.objects.exists()


def test_withdraw_button_withdraws(admin_client, organization, failing_incident, admin_user):
    services.special_case_create(
        organization=organization,
        check=SLA_CHECK,
        entity_id=failing_incident.pk,
        reason="Test",
        evidence=None,
        acting_user=admin_user,
    )
    response = admin_client.post(
        reverse("checks:special_case_withdraw", args=[organization.slug, CODE, failing_incident.pk])
    )
    assert response.status_code == 302
    assert result_of(failing_incident, CODE).status == CheckStatus.FAILING


def test_another_organisations_special_case_is_not_found(admin_client, organization):
    foreign = SpecialCaseFactory()
    entity = [organization.slug, foreign.check_code, foreign.entity_id]
    for url in (
        reverse("checks:special_case_withdraw", args=entity),
        reverse("checks:special_case_evidence", args=[*entity, foreign.pk]),
        reverse("checks:special_case_create", args=entity),
    ):
        assert admin_client.post(url).status_code == 404
    foreign.refresh_from_db()
    assert foreign.withdrawn_at is None


def test_member_cannot_mark_special_cases(member_client, organization, failing_incident):
    url = reverse("checks:special_case_create", args=[organization.slug, CODE, failing_incident.pk])
    assert member_client.post(url, {"reason": "x"}).status_code == 403
