"""Removing a member asks for confirmation without JavaScript (no inline confirm() handlers)."""

import pytest
from django.test import Client

from tenants.models import Membership, Role
from tests.browser.conftest import OUTPUT_DIR
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_removes_a_member_after_confirming_with_javascript_off(browser, live_server):
    owner = MembershipFactory(role=Role.OWNER, user__email="owner@example.com")
    leaver = MembershipFactory(organization=owner.organization, user__email="leaver@example.com")
    client = Client()
    client.force_login(owner.user)
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, java_script_enabled=False
    )
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/o/{owner.organization.slug}/members/")

    row = page.locator("tr", has_text="leaver@example.com")
    confirm = row.get_by_role("button", name="Yes, remove")
    assert not confirm.is_visible()
    row.locator("summary", has_text="Remove").click()
    assert row.get_by_text("Remove leaver@example.com from").is_visible()
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "members-confirm-remove.png"), full_page=True)
    confirm.click()

    page.wait_for_load_state()
    assert page.get_by_text("leaver@example.com was removed.").is_visible()
    assert not Membership.objects.filter(pk=leaver.pk).exists()
    context.close()
