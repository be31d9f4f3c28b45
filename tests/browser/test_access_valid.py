"""End to end in a real browser: an admin configures role-based access for PagerDuty, sees an
account of a Support engineer fail, allows Support, and sees the account pass."""

import re

import pytest
from django.utils import timezone

from access.models import CriticalSystem, SystemKind
from checks.evaluation import organization_evaluate
from tenants.models import Role
from tests.factories import (
    ConnectionFactory,
    MembershipFactory,
    OrgRoleFactory,
    RemoteAccountFactory,
    StaffMemberFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_role_based_access_fails_an_account_until_its_org_role_is_added(page, screenshot, sign_in):
    membership = MembershipFactory(role=Role.ADMIN, user__email="ciso@example.com")
    organization = membership.organization
    connection = ConnectionFactory(organization=organization, last_synced_at=timezone.now())
    sre = OrgRoleFactory(organization=organization, name="SRE")
    support = OrgRoleFactory(organization=organization, name="Support")
    StaffMemberFactory(
        organization=organization, name="Sam Support", email="sam@example.com", org_role=support
    )
    StaffMemberFactory(
        organization=organization, name="Ria SRE", email="ria@example.com", org_role=sre
    )
    RemoteAccountFactory(
        connection=connection, name="Sam", email="sam@example.com", role="limited_user"
    )
    RemoteAccountFactory(connection=connection, name="Ria", email="ria@example.com", role="user")
    system = CriticalSystem.objects.create(
        organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
    )

    sign_in("ciso@example.com")
    page.click("aside >> text=Access monitoring")
    page.wait_for_url(re.compile(rf"/access/systems/{system.pk}/configure/$"))
    page.get_by_label("Role-based").check()
    page.get_by_label("SRE", exact=True).check()
    page.get_by_label("Highest PagerDuty role for SRE").select_option("user")
    screenshot("configure")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/access/systems/{system.pk}/$"))
    organization_evaluate(organization=organization)  # the service queues it after commit

    page.get_by_role("link", name="Staff access").click()
    sam = page.locator("table.accounts tbody tr", has_text="sam@example.com")
    page.reload()
    assert sam.get_by_text("not allowed").is_visible()
    assert sam.locator(".badge", has_text="Failing").is_visible()
    screenshot("failing")

    page.click("text=Configure access")
    page.get_by_label("Support", exact=True).check()
    page.get_by_label("Highest PagerDuty role for Support").select_option("limited_user")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(rf"/access/systems/{system.pk}/$"))
    organization_evaluate(organization=organization)

    page.get_by_role("link", name="Staff access").click()
    page.reload()
    sam = page.locator("table.accounts tbody tr", has_text="sam@example.com")
    assert sam.locator(".badge", has_text="Passing").is_visible()
    screenshot("passing")
