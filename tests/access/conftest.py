"""Fixtures of the access tests: an organisation connected to PagerDuty for access
management, PagerDuty as a critical system, staff and accounts made to measure."""

from datetime import date

import pytest

from access.models import CriticalSystem, SystemKind
from checks.models import CheckResult
from tests.checks.conftest import (  # noqa: F401 (fixtures)
    NOW,
    connection,
    evaluate,
    evidence_root,
    frozen_clock,
)
from tests.factories import OrgRoleFactory, RemoteAccountFactory, StaffMemberFactory
from tests.integrations.sync.conftest import (  # noqa: F401 (fixtures)
    standin_server,
    start_standin,
)


@pytest.fixture
def system(organization):
    return CriticalSystem.objects.create(
        organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
    )


@pytest.fixture
def sre(organization):
    return OrgRoleFactory(organization=organization, name="SRE")


@pytest.fixture
def support(organization):
    return OrgRoleFactory(organization=organization, name="Support")


@pytest.fixture
def make_staff(organization):
    def make(**fields):
        fields.setdefault("organization", organization)
        return StaffMemberFactory(**fields)

    return make


@pytest.fixture
def make_account(connection):  # noqa: F811 (the imported fixture)
    def make(**fields):
        fields.setdefault("connection", connection)
        return RemoteAccountFactory(**fields)

    return make


def result(entity, check_code: str, entity_type: str = "account") -> CheckResult | None:
    return CheckResult.objects.filter(
        check_code=check_code, entity_type=entity_type, entity_id=entity.pk
    ).first()


def status(entity, check_code: str, entity_type: str = "account") -> str | None:
    found = result(entity, check_code, entity_type)
    return found.status if found else None


LAST_WORKING_DAY = date(2026, 2, 27)
