"""`configure_access` and the access checks in `evaluate_checks --json`."""

import json
from io import StringIO

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError

from access.models import CriticalSystem, RoleAllowance
from tenants.models import StaffStatus
from tests.access.conftest import LAST_WORKING_DAY

pytestmark = pytest.mark.django_db


def test_configure_access_creates_the_system_and_sets_role_based_access(organization, sre, support):
    out = StringIO()
    call_command(
        "configure_access", "--org", organization.slug, "--system", "pagerduty",
        "--role", "sre=user", "--role", "Support=limited_user", "--grace-days", "2", stdout=out,
    )  # fmt: skip
    system = CriticalSystem.objects.get(organization=organization)
    assert (system.valid_access_mode, system.grace_days) == ("role_based", 2)
    assert dict(RoleAllowance.objects.values_list("org_role__name", "max_role")) == {
        "SRE": "user",
        "Support": "limited_user",
    }
    assert "SRE → Manager" in out.getvalue()
    call_command(
        "configure_access",
        "--org",
        organization.slug,
        "--system",
        "pagerduty",
        "--all-staff",
        stdout=out,
    )
    system.refresh_from_db()
    assert system.valid_access_mode == "all_staff" and system.grace_days == 2
    assert CriticalSystem.objects.filter(organization=organization).count() == 1


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("Marketing=user", "Unknown org role 'Marketing'"),
        ("SRE=superuser", "Unknown PagerDuty role 'superuser'"),
    ],
)
def test_configure_access_refuses_unknown_roles(organization, sre, role, message):
    with pytest.raises(CommandError, match=message):
        call_command(
            "configure_access", "--org", organization.slug, "--system", "pagerduty", "--role", role
        )
    assert not RoleAllowance.objects.exists()


def test_configure_access_exits_with_code_1_and_a_clear_message(organization, capsys):
    argv = [
        "manage.py",
        "configure_access",
        "--org",
        organization.slug,
        "--system",
        "pagerduty",
        "--role",
        "Nobody=user",
    ]
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(argv)
    assert exit_info.value.code == 1
    assert "Unknown org role 'Nobody'" in capsys.readouterr().err


def test_evaluate_checks_json_lists_failing_and_due_access_entities(
    organization, system, make_staff, make_account, frozen_clock
):
    system.grace_days = 5
    system.save()
    make_staff(
        name="Lee",
        email="lee@example.com",
        status=StaffStatus.OFFBOARDED,
        last_working_day=LAST_WORKING_DAY,
    )
    make_account(external_id="PLEE", email="lee@example.com")
    make_account(external_id="PWHO", email="who@example.net", name="Who")
    out = StringIO()
    call_command("evaluate_checks", "--org", organization.slug, "--json", stdout=out)
    checks = {check["code"]: check for check in json.loads(out.getvalue())["checks"]}
    [unidentified] = checks["access_account_identified"]["failing"]
    assert unidentified["entity_type"] == "account"
    assert (unidentified["pagerduty_id"], unidentified["email"], unidentified["title"]) == (
        "PWHO",
        "who@example.net",
        "Who",
    )
    [leaver] = checks["access_offboarded_removed"]["due"]
    assert (leaver["entity_type"], leaver["email"], leaver["name"]) == (
        "staff",
        "lee@example.com",
        "Lee",
    )
    assert leaver["deadline"].startswith("2026-03-05")
    [review] = checks["access_periodic_review"]["failing"]
    assert (review["entity_type"], review["name"], review["system_id"]) == (
        "system",
        "PagerDuty",
        system.pk,
    )
