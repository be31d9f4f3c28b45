"""A new family of checks plugs into the engine without editing it: a test registers a `staff_email_test`
entity kind and a check over the staff directory, and the engine evaluates it, lists it on
Monitoring, exports it as evidence and reports it in `evaluate_checks --json`."""

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from checks.base import Check, EntityOutcome
from checks.entity_kinds import EntityKind, entity_kind_register, entity_kind_unregister
from checks.models import CheckResult, CheckStatus
from checks.registry import check_list, check_register, check_unregister
from tenants.models import StaffMember
from tests.checks.conftest import NOW
from tests.factories import StaffMemberFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CODE = "staff_email_at_company_domain"
COMPANY_DOMAIN = "@example.com"


def staff_applies(context):
    if StaffMember.objects.filter(organization=context.organization).exists():
        return True, ""
    return False, "Add your staff in the staff directory."


def evaluate_staff_email(context):
    staff = StaffMember.objects.filter(organization=context.organization).order_by("pk")
    for member in staff:
        at_company = member.email.endswith(COMPANY_DOMAIN)
        yield EntityOutcome(
            entity_id=member.pk,
            status=CheckStatus.PASSING if at_company else CheckStatus.FAILING,
            external_id=f"staff-{member.pk}",
            label=member.name,
            extra={"email": member.email, "status": member.status},
            detail="Company address" if at_company else "Not a company address",
        )


def staff_evidence_values(*, organization, results):
    staff = StaffMember.objects.filter(
        organization=organization, pk__in=[result.entity_id for result in results]
    )
    return {
        member.pk: {"staff_email": member.email, "staff_status": member.status} for member in staff
    }


STAFF_KIND = EntityKind(
    code="staff_email_test",
    label="Staff member",
    detail_url=lambda org_slug, staff_id: reverse("tenants:staff_edit", args=[org_slug, staff_id]),
    evidence_columns=("staff_email", "staff_status"),
    evidence_values=staff_evidence_values,
    report_fields=lambda result: {"staff_status": result.entity_extra.get("status")},
    subtitle_of=lambda result: result.entity_extra.get("email", ""),
)
STAFF_CHECK = Check(
    code=CODE,
    title="Staff member should have a company email address",
    system="Staff directory",
    category="Access management",
    entity_type="staff_email_test",
    description="Every staff member is reachable at a company address.",
    how_to_fix="Change the staff member's email to their company address.",
    applies=staff_applies,
    evaluate=evaluate_staff_email,
)


@pytest.fixture
def staff_check():
    """Registered like a domain app's `ready()` would, and undone after the test."""
    entity_kind_register(STAFF_KIND)
    check_register(STAFF_CHECK)
    yield STAFF_CHECK
    check_unregister(CODE)
    entity_kind_unregister("staff_email_test")


@pytest.fixture
def staff(organization):
    return {
        "good": StaffMemberFactory(organization=organization, name="Ada", email="ada@example.com"),
        "bad": StaffMemberFactory(organization=organization, name="Bob", email="bob@gmail.test"),
    }


def test_the_registered_check_is_evaluated_per_entity_of_its_kind(
    staff_check, staff, organization, evaluate
):
    evaluate()
    results = {
        result.entity_id: result
        for result in CheckResult.objects.filter(organization=organization, check_code=CODE)
    }
    bad = results[staff["bad"].pk]
    assert (bad.entity_type, bad.status, bad.entity_label) == ("staff_email_test", "failing", "Bob")
    assert bad.entity_extra == {"email": "bob@gmail.test", "status": "active"}
    assert results[staff["good"].pk].status == CheckStatus.PASSING


def test_the_check_says_why_it_does_not_apply(staff_check, organization, evaluate):
    evaluation = next(e for e in evaluate() if e.check.code == CODE)
    assert evaluation.summary.status == CheckStatus.NOT_APPLICABLE
    assert evaluation.summary.detail == "Add your staff in the staff directory."


def test_monitoring_and_the_drill_down_list_the_new_kind(
    staff_check, staff, organization, evaluate, admin_client
):
    evaluate()
    monitoring = admin_client.get(reverse("checks:monitoring", args=[organization.slug]))
    assert STAFF_CHECK.title in monitoring.content.decode()

    drill_down = admin_client.get(reverse("checks:check_detail", args=[organization.slug, CODE]))
    content = drill_down.content.decode()
    assert "Staff member" in content  # the kind's label heads the column
    assert "bob@gmail.test" in content  # the subtitle comes from `extra`
    assert reverse("tenants:staff_edit", args=[organization.slug, staff["bad"].pk]) in content


def test_special_cases_work_for_the_new_kind(
    staff_check, staff, organization, evaluate, admin_client
):
    evaluate()
    url = reverse("checks:special_case_create", args=[organization.slug, CODE, staff["bad"].pk])
    response = admin_client.post(url, {"reason": "Contractor without a company mailbox."})
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "tenants:staff_edit", args=[organization.slug, staff["bad"].pk]
    )
    result = CheckResult.objects.get(check_code=CODE, entity_id=staff["bad"].pk)
    assert (result.status, result.evaluated_status) == ("passing", "failing")


def test_evidence_export_adds_the_kinds_columns(
    staff_check, staff, organization, evaluate, member_client
):
    evaluate()
    day = NOW.date().isoformat()
    response = member_client.post(
        reverse("checks:evidence_export", args=[organization.slug]), {"start": day, "end": day}
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    staff_rows = {row["title"]: row for row in rows if row["check_code"] == CODE}
    assert staff_rows["Bob"]["staff_email"] == "bob@gmail.test"
    assert staff_rows["Bob"]["check_status"] == "failing"
    assert staff_rows["Bob"]["entity_type"] == "staff_email_test"
    assert "incident_number" in rows[0]  # the incident kind's columns are still there


def test_evaluate_checks_json_reports_the_new_kind(staff_check, staff, organization):
    out = StringIO()
    call_command("evaluate_checks", "--org", organization.slug, "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert [check["code"] for check in report["checks"]] == [c.code for c in check_list()]
    staff_report = next(check for check in report["checks"] if check["code"] == CODE)
    assert staff_report["failing"] == [
        {
            "entity_type": "staff_email_test",
            "pagerduty_id": f"staff-{staff['bad'].pk}",
            "number": None,
            "email": "bob@gmail.test",
            "title": "Bob",
            "deadline": None,
            "detail": "Not a company address",
            "staff_status": "active",
        }
    ]


def test_registration_is_undone_after_the_test():
    assert CODE not in {check.code for check in check_list()}
