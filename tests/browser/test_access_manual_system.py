"""End to end in a real browser: a system kept by hand shows its identification and
valid-access checks on its Summary tab; mapping the unknown account by hand makes it pass."""

import re

import pytest

from access.models import ManualAccount, RoleAllowance, ValidAccessMode
from checks.evaluation import organization_evaluate
from tenants.models import Role
from tests.access.factories import ManualSystemFactory
from tests.factories import MembershipFactory, OrgRoleFactory, StaffMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manual_system_summary_shows_its_checks_and_a_mapping_by_hand_passes(
    page, screenshot, sign_in
):
    membership = MembershipFactory(role=Role.ADMIN, user__email="ciso@example.com")
    organization = membership.organization
    sre = OrgRoleFactory(organization=organization, name="SRE")
    support = OrgRoleFactory(organization=organization, name="Support")
    ria = StaffMemberFactory(
        organization=organization, name="Ria SRE", email="ria@example.com", org_role=sre
    )
    StaffMemberFactory(
        organization=organization, name="Sam Support", email="sam@example.com", org_role=support
    )
    system = ManualSystemFactory(
        organization=organization, name="Bank portal", valid_access_mode=ValidAccessMode.ROLE_BASED
    )
    RoleAllowance.objects.create(organization=organization, system=system, org_role=sre)
    for email, name in (
        ("ria@example.com", "Ria"),
        ("sam@example.com", "Sam"),
        ("r.sre@personal.example", "Ria (old address)"),
    ):
        ManualAccount.objects.create(
            organization=organization, system=system, email=email, name=name, role="Operator"
        )
    organization_evaluate(organization=organization)

    sign_in("ciso@example.com")
    page.goto(page.url.split("/o/")[0] + f"/o/{organization.slug}/access/systems/{system.pk}/")
    checks = page.locator("section.card", has_text="Checks")
    identified = checks.locator("tr", has_text="User should be identified")
    valid = checks.locator("tr", has_text="User access to critical system should be valid")
    assert identified.locator(".badge", has_text="Failing").is_visible()
    assert valid.locator(".badge", has_text="Failing").is_visible()
    screenshot("summary")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("summary-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="Staff access").click()
    page.get_by_role("link", name="Ria (old address)").click()
    page.wait_for_url(re.compile(r"/manual-accounts/\d+/$"))
    page.get_by_label("Staff member").select_option(str(ria.pk))
    page.get_by_role("button", name=re.compile("^Map")).click()
    organization_evaluate(organization=organization)  # the service queues it after commit
    page.reload()
    screenshot("account")
    page.goto(page.url.split("/o/")[0] + f"/o/{organization.slug}/access/systems/{system.pk}/")
    identified = page.locator("section.card", has_text="Checks").locator(
        "tr", has_text="User should be identified"
    )
    assert identified.locator(".badge", has_text="Passing").is_visible()
