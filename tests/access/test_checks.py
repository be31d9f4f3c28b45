"""The four access checks, over time with a frozen clock."""

from datetime import date, timedelta

import pytest

from access import services
from access.checks import (
    ACCOUNT_ACCESS_VALID,
    ACCOUNT_IDENTIFIED,
    OFFBOARDED_ACCESS_REMOVED,
    PERIODIC_REVIEW,
)
from access.models import AccessReview, ValidAccessMode
from checks.models import CheckStatus, CheckSummary
from checks.services import special_case_create
from tenants.models import StaffStatus
from tests.access.conftest import LAST_WORKING_DAY, NOW, status

pytestmark = pytest.mark.django_db

OFFBOARDED = OFFBOARDED_ACCESS_REMOVED.code
IDENTIFIED = ACCOUNT_IDENTIFIED.code
VALID = ACCOUNT_ACCESS_VALID.code
REVIEW = PERIODIC_REVIEW.code


def role_based(system, allowances, grace_days=0):
    services.valid_access_configure(
        system=system,
        mode=ValidAccessMode.ROLE_BASED,
        allowances=allowances,
        grace_days=grace_days,
        acting_user=None,
    )


# --- applicability ---------------------------------------------------------------------------


def test_checks_are_not_applicable_without_pagerduty_as_a_critical_system(
    organization, connection, evaluate
):
    evaluate()
    summary = CheckSummary.objects.get(organization=organization, check_code=IDENTIFIED)
    assert summary.status == CheckStatus.NOT_APPLICABLE
    assert "critical system" in summary.detail


def test_checks_are_not_applicable_without_access_management(organization, system, evaluate):
    from tests.factories import ConnectionFactory

    ConnectionFactory(organization=organization, purposes=["incident_management"])
    evaluate()
    summary = CheckSummary.objects.get(organization=organization, check_code=IDENTIFIED)
    assert summary.status == CheckStatus.NOT_APPLICABLE
    assert "without access management" in summary.detail


# --- offboarding -----------------------------------------------------------------------------


def test_offboarded_user_with_live_account_is_due_in_grace_then_failing_then_passing(
    system, make_staff, make_account, evaluate
):
    system.grace_days = 3
    system.save()
    leaver = make_staff(
        email="leaver@example.com",
        status=StaffStatus.OFFBOARDED,
        last_working_day=LAST_WORKING_DAY,  # Friday; deadline = end of day + 3 days
    )
    account = make_account(email="leaver@example.com")

    evaluate(now=NOW)  # 2026-03-02: within the grace period
    assert status(leaver, OFFBOARDED, "staff") == CheckStatus.DUE

    evaluate(now=NOW + timedelta(days=2))  # 2026-03-04: past 2026-03-03 00:00
    assert status(leaver, OFFBOARDED, "staff") == CheckStatus.FAILING

    account.removed_at = NOW + timedelta(days=2, hours=1)
    account.save()
    evaluate(now=NOW + timedelta(days=3))
    assert status(leaver, OFFBOARDED, "staff") == CheckStatus.PASSING


def test_offboarded_user_without_grace_fails_the_day_after_the_last_working_day(
    system, make_staff, make_account, evaluate
):
    leaver = make_staff(
        email="gone@example.com", status=StaffStatus.OFFBOARDED, last_working_day=date(2026, 3, 1)
    )
    make_account(email="gone@example.com")
    evaluate(now=NOW)
    assert status(leaver, OFFBOARDED, "staff") == CheckStatus.FAILING


def test_offboarded_user_without_account_passes(system, make_staff, make_account, evaluate):
    leaver = make_staff(status=StaffStatus.OFFBOARDED, last_working_day=LAST_WORKING_DAY)
    evaluate()
    assert status(leaver, OFFBOARDED, "staff") == CheckStatus.PASSING


# --- identification --------------------------------------------------------------------------


def test_unidentified_account_fails_until_mapped(system, make_staff, make_account, evaluate):
    account = make_account(email="who@example.net")
    removed = make_account(email="old@example.net", removed_at=NOW - timedelta(days=1))
    evaluate()
    assert status(account, IDENTIFIED) == CheckStatus.FAILING
    assert status(removed, IDENTIFIED) is None  # only live accounts are judged

    services.account_map(
        system=system,
        account_key=account.external_id,
        staff_member=make_staff(),
        acting_user=None,
    )
    evaluate(now=NOW + timedelta(minutes=1))
    assert status(account, IDENTIFIED) == CheckStatus.PASSING


# --- valid access ----------------------------------------------------------------------------


def test_all_staff_mode_passes_every_active_staff_account(
    system, make_staff, make_account, evaluate
):
    make_staff(email="ada@example.com")
    account = make_account(email="ada@example.com", role="admin")
    evaluate()
    assert status(account, VALID) == CheckStatus.PASSING


def test_role_based_access_fails_an_org_role_not_allowed_and_passes_once_added(
    system, sre, support, make_staff, make_account, evaluate
):
    make_staff(email="sam@example.com", org_role=support)
    account = make_account(email="sam@example.com", role="limited_user")
    role_based(system, {sre: "user"})
    evaluate()
    assert status(account, VALID) == CheckStatus.FAILING

    role_based(system, {sre: "user", support: "limited_user"})
    evaluate(now=NOW + timedelta(minutes=1))
    assert status(account, VALID) == CheckStatus.PASSING


def test_role_higher_than_the_limit_is_excess_privilege_until_the_limit_is_raised(
    system, sre, make_staff, make_account, evaluate
):
    make_staff(email="sre@example.com", org_role=sre)
    admin = make_account(email="sre@example.com", role="admin")
    role_based(system, {sre: "user"})
    evaluate()
    assert status(admin, VALID) == CheckStatus.FAILING
    from tests.access.conftest import result

    assert "Excess privilege" in result(admin, VALID).detail

    role_based(system, {sre: "admin"})
    evaluate(now=NOW + timedelta(minutes=1))
    assert status(admin, VALID) == CheckStatus.PASSING


def test_staff_without_org_role_fails_role_based_access(
    system, sre, make_staff, make_account, evaluate
):
    make_staff(email="norole@example.com")
    account = make_account(email="norole@example.com", role="observer")
    role_based(system, {sre: "user"})
    evaluate()
    assert status(account, VALID) == CheckStatus.FAILING


def test_marked_accounts_and_leavers_are_out_of_the_valid_access_scope(
    system, sre, make_staff, make_account, evaluate
):
    bot = make_account(email="bot@example.com", role="admin")
    services.account_mark_not_staff(
        system=system,
        account_key=bot.external_id,
        not_staff_kind="service",
        reason="Terraform",
        expires_on=None,
        acting_user=None,
    )
    make_staff(
        email="left@example.com", status=StaffStatus.OFFBOARDED, last_working_day=LAST_WORKING_DAY
    )
    leaver = make_account(email="left@example.com", role="admin")
    role_based(system, {sre: "user"})
    evaluate()
    assert status(bot, VALID) is None
    assert status(leaver, VALID) is None
    assert status(bot, IDENTIFIED) == CheckStatus.PASSING


# --- periodic review -------------------------------------------------------------------------


def test_periodic_review_fails_never_reviewed_due_while_open_passes_when_completed_then_expires(
    system, connection, evaluate
):
    evaluate()
    assert status(system, REVIEW, "system") == CheckStatus.FAILING

    review = AccessReview.objects.create(
        organization=system.organization, system=system, started_at=NOW, due_on=date(2026, 3, 16)
    )
    evaluate(now=NOW + timedelta(days=1))
    assert status(system, REVIEW, "system") == CheckStatus.DUE

    evaluate(now=NOW + timedelta(days=20))  # open past its due date
    assert status(system, REVIEW, "system") == CheckStatus.FAILING

    review.completed_at = NOW + timedelta(days=21)
    review.save()
    evaluate(now=NOW + timedelta(days=22))
    assert status(system, REVIEW, "system") == CheckStatus.PASSING

    evaluate(now=NOW + timedelta(days=21 + 366))  # 12 months later
    assert status(system, REVIEW, "system") == CheckStatus.FAILING


def test_review_period_is_configurable(system, connection, evaluate):
    AccessReview.objects.create(
        organization=system.organization,
        system=system,
        started_at=NOW - timedelta(days=100),
        due_on=date(2025, 12, 1),
        completed_at=NOW - timedelta(days=95),
    )
    system.review_period_months = 3
    system.save()
    evaluate()
    assert status(system, REVIEW, "system") == CheckStatus.FAILING


# --- special cases ---------------------------------------------------------------------------


def test_special_case_with_expiry_passes_an_access_check_until_it_expires(
    system, organization, make_account, evaluate, admin_user, frozen_clock
):
    account = make_account(email="breakglass@example.com")
    evaluate()
    assert status(account, IDENTIFIED) == CheckStatus.FAILING
    special_case_create(
        organization=organization,
        check=ACCOUNT_IDENTIFIED,
        entity_id=account.pk,
        reason="Break-glass account kept sealed in the vault",
        expires_on=(NOW + timedelta(days=5)).date(),
        evidence=None,
        acting_user=admin_user,
    )
    evaluate(now=NOW + timedelta(days=1))
    assert status(account, IDENTIFIED) == CheckStatus.PASSING
    evaluate(now=NOW + timedelta(days=7))
    assert status(account, IDENTIFIED) == CheckStatus.FAILING
