"""`seed_demo` adds GitHub, a critical system kept by hand, whose accounts are imported from a
CSV as a user would: the checks of systems kept by hand then have passing and failing accounts.
Seeding again changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from access.checks import SYSTEM_ACCOUNT, SYSTEM_ACCOUNT_ACCESS_VALID, SYSTEM_ACCOUNT_IDENTIFIED
from access.demo import DEMO_MANUAL_SYSTEM
from access.models import AccountIdentity, CriticalSystem, IdentityKind, ManualAccount
from checks.evaluation import organization_evaluate
from checks.models import CheckResult, CheckStatus
from tenants.models import AuditEvent, Organization, StaffMember, StaffStatus

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", "--seed", "1", "--users", "80", stdout=out)
    return out.getvalue()


def statuses(organization, check) -> dict[str, str]:
    accounts = dict(ManualAccount.objects.values_list("pk", "email"))
    return {
        accounts[entity_id]: status
        for entity_id, status in CheckResult.objects.filter(
            organization=organization, check_code=check.code, entity_type=SYSTEM_ACCOUNT
        ).values_list("entity_id", "status")
    }


def test_the_demo_has_github_kept_by_hand_with_passing_and_failing_accounts():
    output = seed()

    organization = Organization.objects.get(slug="demo")
    github = CriticalSystem.objects.get(organization=organization, name=DEMO_MANUAL_SYSTEM)
    assert not github.is_pagerduty
    assert "GitHub demo" in output
    assert AuditEvent.objects.filter(
        organization=organization, action="access.manual_accounts.import"
    ).exists()
    organization_evaluate(organization=organization)

    identified = statuses(organization, SYSTEM_ACCOUNT_IDENTIFIED)
    valid = statuses(organization, SYSTEM_ACCOUNT_ACCESS_VALID)
    assert identified["contractor@agency.example"] == CheckStatus.FAILING
    assert identified["deploy-bot@example.com"] == CheckStatus.PASSING  # a service account
    assert list(identified.values()).count(CheckStatus.PASSING) >= 5
    assert CheckStatus.FAILING in valid.values()  # an org role that may not hold an account
    assert CheckStatus.PASSING in valid.values()
    leaver_emails = set(
        StaffMember.objects.filter(
            organization=organization, status=StaffStatus.OFFBOARDED
        ).values_list("email", flat=True)
    )
    assert leaver_emails & set(identified)  # a leaver still holds an account
    assert AccountIdentity.objects.filter(system=github, kind=IdentityKind.MAPPED).count() == 1


def test_seeding_the_demo_again_changes_nothing():
    seed()
    accounts = set(ManualAccount.objects.values_list("pk", "email", "role"))
    identities = AccountIdentity.objects.count()

    output = seed()

    assert "GitHub demo already seeded." in output
    assert set(ManualAccount.objects.values_list("pk", "email", "role")) == accounts
    assert AccountIdentity.objects.count() == identities
    assert CriticalSystem.objects.filter(name=DEMO_MANUAL_SYSTEM).count() == 1
