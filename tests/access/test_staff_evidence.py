"""The staff evidence columns: a member's PagerDuty accounts by the identification rule
(email, alternate email, mapping by hand; a "not a staff account" mark wins)."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from access.entity import staff_evidence_values
from access.models import AccountIdentity, IdentityKind
from tenants.models import StaffAlternateEmail, StaffStatus
from tests.access.conftest import LAST_WORKING_DAY

pytestmark = pytest.mark.django_db


def test_staff_evidence_counts_the_members_accounts_by_the_identification_rule(
    organization, system, make_staff, make_account
):
    ada = make_staff(
        email="ada@example.com",
        status=StaffStatus.OFFBOARDED,
        last_working_day=LAST_WORKING_DAY,
    )
    bob = make_staff(email="bob@example.com")
    StaffAlternateEmail.objects.create(
        organization=organization, staff_member=ada, email="ada@example.net"
    )
    make_account(external_id="PEMAIL", email="ada@example.com")
    removed_at = datetime.combine(LAST_WORKING_DAY, time(), UTC) + timedelta(days=2)
    make_account(external_id="PALT", email="ada@example.net", removed_at=removed_at)
    make_account(external_id="PMAPPED", email="shared@example.org")
    make_account(external_id="PMARKED", email="ada@example.com")
    make_account(external_id="PBOB", email="bob@example.com")
    AccountIdentity.objects.create(
        organization=organization,
        system=system,
        account_key="PMAPPED",
        kind=IdentityKind.MAPPED,
        staff_member=ada,
    )
    AccountIdentity.objects.create(
        organization=organization,
        system=system,
        account_key="PMARKED",
        kind=IdentityKind.NOT_STAFF,
        reason="Shared inbox",
    )

    values = staff_evidence_values(
        organization=organization,
        results=[SimpleNamespace(entity_id=ada.pk), SimpleNamespace(entity_id=bob.pk)],
    )

    assert values[ada.pk]["live_accounts"] == 2
    assert values[ada.pk]["time_to_revoke"]
    assert values[bob.pk]["live_accounts"] == 1
    assert values[bob.pk]["time_to_revoke"] == ""
