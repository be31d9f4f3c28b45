"""The identification and valid-access checks of critical systems kept by hand (accounts
imported from CSV), with a frozen clock: the same rules as PagerDuty's accounts."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access import services
from access.checks import (
    ACCOUNT_IDENTIFIED,
    MANUAL_SYSTEM_CHECKS,
    SYSTEM_ACCOUNT,
    SYSTEM_ACCOUNT_ACCESS_VALID,
    SYSTEM_ACCOUNT_IDENTIFIED,
)
from access.models import ManualAccount, ValidAccessMode
from checks.evaluation import organization_evaluate
from checks.evidence import evidence_rows
from checks.models import CheckStatus, CheckSummary
from checks.registry import check_get
from checks.services import special_case_create
from tenants.models import StaffMember, StaffStatus
from tests.access.conftest import LAST_WORKING_DAY, NOW, result, status
from tests.access.factories import ManualAccountFactory, ManualSystemFactory

pytestmark = pytest.mark.django_db

IDENTIFIED = SYSTEM_ACCOUNT_IDENTIFIED.code
VALID = SYSTEM_ACCOUNT_ACCESS_VALID.code


@pytest.fixture
def vault(organization):
    return ManualSystemFactory(organization=organization, name="Vault")


@pytest.fixture
def make_manual(vault):
    def make(**fields):
        fields.setdefault("system", vault)
        return ManualAccountFactory(**fields)

    return make


def role_based(system, allowances):
    services.valid_access_configure(
        system=system,
        mode=ValidAccessMode.ROLE_BASED,
        allowances=allowances,
        grace_days=0,
        acting_user=None,
    )


def test_new_checks_are_registered_with_their_titles_and_system_family():
    identified, valid = check_get(IDENTIFIED), check_get(VALID)
    assert identified.title == "User should be identified"
    assert valid.title == "User access to critical system should be valid"
    assert identified.system == valid.system == "Systems kept by hand"
    assert identified.entity_type == valid.entity_type == SYSTEM_ACCOUNT


def test_not_applicable_without_a_system_kept_by_hand(organization, evaluate):
    evaluate()
    for check in MANUAL_SYSTEM_CHECKS:
        summary = CheckSummary.objects.get(organization=organization, check_code=check.code)
        assert summary.status == CheckStatus.NOT_APPLICABLE
        assert "kept by hand" in summary.detail


def test_applicable_without_pagerduty(organization, vault, make_manual, evaluate):
    account = make_manual(email="who@example.net")
    evaluate()
    assert status(account, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.FAILING
    # PagerDuty's checks stay not applicable: the manual systems have their own.
    summary = CheckSummary.objects.get(
        organization=organization, check_code=ACCOUNT_IDENTIFIED.code
    )
    assert summary.status == CheckStatus.NOT_APPLICABLE


def test_manual_account_not_identified_fails_until_mapped_by_hand(
    vault, make_manual, make_staff, evaluate
):
    account = make_manual(email="who@example.net")
    known = make_manual(email="ada@example.com")
    make_staff(email="ada@example.com")
    evaluate()
    assert status(account, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.FAILING
    assert status(known, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.PASSING
    found = result(account, IDENTIFIED, SYSTEM_ACCOUNT)
    assert found.entity_extra == {"email": "who@example.net", "system": "Vault"}
    assert found.entity_external_id == ""

    services.account_map(
        system=vault, account_key=account.email, staff_member=make_staff(), acting_user=None
    )
    evaluate(now=NOW + timedelta(minutes=1))
    assert status(account, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.PASSING
    assert result(account, IDENTIFIED, SYSTEM_ACCOUNT).detail == "By hand"


def test_a_mapping_belongs_to_its_system(organization, make_manual, make_staff, evaluate):
    """The same address in two systems: a mapping by hand in one leaves the other failing."""
    other = ManualSystemFactory(organization=organization, name="Bank portal")
    here = make_manual(email="shared@example.net")
    there = ManualAccountFactory(system=other, email="shared@example.net")
    services.account_map(
        system=here.system, account_key=here.email, staff_member=make_staff(), acting_user=None
    )
    evaluate()
    assert status(here, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.PASSING
    assert status(there, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.FAILING
    assert result(there, IDENTIFIED, SYSTEM_ACCOUNT).entity_extra["system"] == "Bank portal"


def test_role_based_manual_system_fails_an_org_role_not_allowed_and_passes_once_added(
    vault, sre, support, make_manual, make_staff, evaluate
):
    make_staff(email="sam@example.com", org_role=support)
    # A free-text role of the system is no PagerDuty role: no limit applies to it.
    account = make_manual(email="sam@example.com", role="Administrator")
    role_based(vault, {sre: ""})
    evaluate()
    assert status(account, VALID, SYSTEM_ACCOUNT) == CheckStatus.FAILING
    assert (
        "Org role Support may not hold an account" in result(account, VALID, SYSTEM_ACCOUNT).detail
    )

    role_based(vault, {sre: "", support: ""})
    evaluate(now=NOW + timedelta(minutes=1))
    assert status(account, VALID, SYSTEM_ACCOUNT) == CheckStatus.PASSING


def test_each_manual_system_has_its_own_valid_access(
    organization, vault, sre, support, make_manual, make_staff, evaluate
):
    open_system = ManualSystemFactory(organization=organization, name="Wiki")
    make_staff(email="sam@example.com", org_role=support)
    strict = make_manual(email="sam@example.com")
    relaxed = ManualAccountFactory(system=open_system, email="sam@example.com")
    role_based(vault, {sre: ""})
    evaluate()
    assert status(strict, VALID, SYSTEM_ACCOUNT) == CheckStatus.FAILING
    assert status(relaxed, VALID, SYSTEM_ACCOUNT) == CheckStatus.PASSING


def test_all_staff_passes_every_active_staff_account(vault, make_manual, make_staff, evaluate):
    make_staff(email="ada@example.com")
    account = make_manual(email="ada@example.com", role="Owner")
    evaluate()
    assert status(account, VALID, SYSTEM_ACCOUNT) == CheckStatus.PASSING
    assert result(account, VALID, SYSTEM_ACCOUNT).detail == "All staff may hold an account"


def test_leavers_not_staff_and_unidentified_accounts_are_out_of_the_valid_access_scope(
    vault, sre, make_manual, make_staff, evaluate
):
    bot = make_manual(email="bot@example.com")
    services.account_mark_not_staff(
        system=vault,
        account_key=bot.email,
        not_staff_kind="service",
        reason="Backup job",
        expires_on=None,
        acting_user=None,
    )
    make_staff(
        email="left@example.com", status=StaffStatus.OFFBOARDED, last_working_day=LAST_WORKING_DAY
    )
    leaver = make_manual(email="left@example.com")
    stranger = make_manual(email="who@example.net")
    role_based(vault, {sre: ""})
    evaluate()
    for account in (bot, leaver, stranger):
        assert status(account, VALID, SYSTEM_ACCOUNT) is None
    assert status(bot, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.PASSING
    assert status(leaver, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.PASSING


def test_special_case_with_expiry_passes_until_it_expires(
    organization, vault, make_manual, evaluate, admin_user, frozen_clock
):
    account = make_manual(email="breakglass@example.com")
    evaluate()
    special_case_create(
        organization=organization,
        check=SYSTEM_ACCOUNT_IDENTIFIED,
        entity_id=account.pk,
        reason="Break-glass account kept sealed",
        expires_on=(NOW + timedelta(days=5)).date(),
        evidence=None,
        acting_user=admin_user,
    )
    evaluate(now=NOW + timedelta(days=1))
    assert status(account, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.PASSING
    evaluate(now=NOW + timedelta(days=7))
    assert status(account, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.FAILING


def test_import_evaluates_the_accounts(
    vault, make_staff, admin_user, frozen_clock, django_capture_on_commit_callbacks
):
    make_staff(email="ada@example.com")
    content = b"email,name,role\nada@example.com,Ada,Admin\nx@y.net,X,\n"
    with django_capture_on_commit_callbacks(execute=True):
        services.manual_accounts_import(system=vault, content=content, acting_user=admin_user)
    stranger = ManualAccount.objects.get(system=vault, email="x@y.net")
    assert status(stranger, IDENTIFIED, SYSTEM_ACCOUNT) == CheckStatus.FAILING


def test_json_report_includes_the_manual_system_accounts(
    organization, vault, make_manual, frozen_clock
):
    make_manual(email="who@example.net", name="Who")
    out = StringIO()
    call_command("evaluate_checks", "--org", organization.slug, "--json", stdout=out)
    checks = {check["code"]: check for check in json.loads(out.getvalue())["checks"]}
    assert checks[IDENTIFIED]["system"] == "Systems kept by hand"
    [entity] = checks[IDENTIFIED]["failing"]
    assert entity["entity_type"] == "system_account"
    assert entity["pagerduty_id"] == ""
    assert (entity["email"], entity["title"], entity["name"], entity["system"]) == (
        "who@example.net",
        "Who",
        "Who",
        "Vault",
    )


def test_evidence_export_has_the_system_account_columns(
    organization, vault, make_manual, make_staff, sre, evaluate
):
    make_staff(name="Ada", email="ada@example.com", org_role=sre)
    make_manual(email="ada@example.com", role="Admin")
    evaluate()
    rows = list(
        evidence_rows(
            organization=organization,
            checks=[SYSTEM_ACCOUNT_IDENTIFIED],
            start=date(2020, 1, 1),
            end=date(2030, 1, 1),
        )
    )
    header, [row] = rows[0], rows[1:]
    values = dict(zip(header, row, strict=True))
    assert (values["system"], values["email"], values["role"]) == (
        "Vault",
        "ada@example.com",
        "Admin",
    )
    assert (values["identification"], values["staff_member"], values["org_role"]) == (
        "Auto (email)",
        "Ada",
        "SRE",
    )


def _manual_accounts(organization, system, count, org_role):
    StaffMember.objects.filter(organization=organization).delete()
    ManualAccount.objects.filter(system=system).delete()
    StaffMember.objects.bulk_create(
        StaffMember(
            organization=organization,
            name=f"Person {index}",
            email=f"person{index}@example.com",
            org_role=org_role if index % 3 else None,
            status=StaffStatus.OFFBOARDED if index % 10 == 0 else StaffStatus.ACTIVE,
            last_working_day=LAST_WORKING_DAY if index % 10 == 0 else None,
        )
        for index in range(count)
    )
    ManualAccount.objects.bulk_create(
        ManualAccount(
            organization=organization,
            system=system,
            email=f"person{index}@example.com" if index % 7 else f"other{index}@example.net",
            name=f"Person {index}",
            role="Admin",
        )
        for index in range(count)
    )


@pytest.mark.skipif(
    database.vendor != "postgresql",
    reason="SQLite splits bulk writes into many statements by its 999-variable limit",
)
def test_evaluation_is_a_bounded_number_of_queries_with_2000_manual_accounts(
    organization, vault, sre, evaluate
):
    role_based(vault, {sre: ""})

    def queries(count):
        _manual_accounts(organization, vault, count, sre)
        with CaptureQueriesContext(database) as captured:
            organization_evaluate(organization=organization, now=NOW, checks=MANUAL_SYSTEM_CHECKS)
        return len(captured.captured_queries)

    small, large = queries(20), queries(2000)
    print({"manual accounts 20": small, "manual accounts 2000": large})
    assert large <= small + 10, (small, large)
    summary = CheckSummary.objects.get(organization=organization, check_code=IDENTIFIED)
    assert summary.failing_count == len([i for i in range(2000) if i % 7 == 0])


# --- pages -------------------------------------------------------------------------------------


def test_summary_tab_shows_the_manual_system_checks_with_this_systems_counts(
    admin_client, organization, vault, make_manual, make_staff, evaluate
):
    other = ManualSystemFactory(organization=organization, name="Wiki")
    ManualAccountFactory(system=other, email="a@nowhere.net")
    ManualAccountFactory(system=other, email="b@nowhere.net")
    make_staff(email="ada@example.com")
    make_manual(email="ada@example.com")
    make_manual(email="who@example.net")
    evaluate()
    response = admin_client.get(
        reverse("access:system_summary", args=[organization.slug, vault.pk])
    )
    assert response.status_code == 200
    rows = {check.code: counts for check, counts, _ in response.context["checks"]}
    assert list(rows) == [IDENTIFIED, VALID, "access_periodic_review"]
    assert (rows[IDENTIFIED].status, rows[IDENTIFIED].failing_count) == ("failing", 1)
    assert rows[IDENTIFIED].passing_count == 1
    assert (rows[VALID].status, rows[VALID].passing_count) == ("passing", 1)
    page = response.content.decode()
    assert "User should be identified" in page
    assert "User access to critical system should be valid" in page


def test_staff_access_tab_and_account_page_show_the_check_status(
    admin_client, organization, vault, make_manual, evaluate
):
    account = make_manual(email="who@example.net")
    evaluate()
    slug = organization.slug
    response = admin_client.get(
        reverse("access:system_accounts", args=[slug, vault.pk]) + "?check_status=failing"
    )
    assert "who@example.net" in response.content.decode()
    response = admin_client.get(reverse("access:system_account_detail", args=[slug, account.pk]))
    assert response.status_code == 302
    page = admin_client.get(response.url)
    assert page.status_code == 200
    [(check, found)] = [row for row in page.context["check_rows"] if row[0].code == IDENTIFIED]
    assert found.status == CheckStatus.FAILING
    assert "Mark special case" in page.content.decode()


def test_offboarded_tab_of_a_manual_system_lists_leavers_with_live_accounts(
    admin_client, organization, vault, make_manual, make_staff
):
    make_staff(
        name="Lee",
        email="lee@example.com",
        status=StaffStatus.OFFBOARDED,
        last_working_day=LAST_WORKING_DAY,
    )
    make_manual(email="lee@example.com")
    response = admin_client.get(
        reverse("access:system_offboarded", args=[organization.slug, vault.pk])
    )
    assert response.status_code == 200
    [row] = [row for row in response.context["rows"] if row.staff_member.name == "Lee"]
    assert row.deprovisioning == "Active"


def test_monitoring_lists_the_failing_manual_accounts_with_their_page(
    admin_client, organization, vault, make_manual, evaluate
):
    account = make_manual(email="who@example.net", name="Who")
    evaluate()
    slug = organization.slug
    page = admin_client.get(reverse("checks:check_detail", args=[slug, IDENTIFIED]))
    assert page.status_code == 200
    content = page.content.decode()
    assert reverse("access:system_account_detail", args=[slug, account.pk]) in content
    assert "who@example.net · Vault" in content
    monitoring = admin_client.get(reverse("checks:monitoring", args=[slug])).content.decode()
    assert "Systems kept by hand" in monitoring
