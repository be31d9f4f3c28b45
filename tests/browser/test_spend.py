"""In a real browser: add PagerDuty from the Spend catalog, price it, and read its Members,
Usage charts and Insights (the stand-in account synced first)."""

import re

import pytest

from integrations.models import SyncTrigger
from integrations.pagerduty.sync.run import sync_connection
from tenants.models import Role
from tests.factories import MembershipFactory
from tests.integrations.sync.conftest import api_key_connection, quick_client

pytestmark = [pytest.mark.browser, pytest.mark.standin, pytest.mark.django_db(transaction=True)]


def test_add_pagerduty_price_it_and_read_members_usage_and_insights(
    page, screenshot, standin, sign_in, settings
):
    settings.INCIDENT_BACKFILL_DAYS = 800
    membership = MembershipFactory(role=Role.ADMIN, organization__slug="acme-spend")
    connection = api_key_connection(membership.organization, standin)
    run = sync_connection(
        connection=connection, trigger=SyncTrigger.COMMAND, client=quick_client(connection)
    )
    assert run.status == "succeeded", run.error_message
    sign_in(membership.user.email)

    page.click("aside >> text=Spend")
    assert page.get_by_text("No SaaS services yet").is_visible()
    screenshot("empty")
    page.click("main >> text=Add a service")
    page.fill("input[name=q]", "pager")
    page.click("button:has-text('Search')")
    screenshot("catalog")
    page.click("button:has-text('Add PagerDuty')")

    page.wait_for_url(re.compile(r"/spend/\d+/settings/$"))
    assert page.get_by_text("PagerDuty is added.").is_visible()
    full_price = page.locator("fieldset", has_text="Business (Full User)").get_by_label(
        "Price per user per month"
    )
    assert full_price.input_value() == "41.00"
    full_price.fill("45.00")
    page.get_by_label("Renewal date").fill("2099-01-31")
    page.click("button:has-text('Save settings')")
    assert page.get_by_text("Saved.").is_visible()
    screenshot("settings")

    page.click("nav.tabs >> text=Members")
    assert page.locator("table.members tbody tr").count() > 10
    assert page.get_by_text("Invitation pending").first.is_visible()
    screenshot("members")

    page.click("nav.tabs >> text=Usage")
    assert page.locator("figure.chart svg").count() == 5
    assert page.get_by_text("SMS and phone notifications sent that month").is_visible()
    screenshot("usage")

    page.click("nav.tabs >> text=Insights")
    assert page.get_by_text("Full User → Stakeholder downgrade").is_visible()
    assert page.get_by_text("potential saving a month").is_visible()
    screenshot("insights")

    page.click("aside >> text=Spend")
    assert page.locator("table.spend-services").get_by_text("PagerDuty").is_visible()
    screenshot("list")

    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("list-narrow")
    page.click("table.spend-services >> text=PagerDuty")
    page.click("nav.tabs >> text=Usage")
    screenshot("usage-narrow")
