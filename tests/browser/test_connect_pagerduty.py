"""In a real browser: connect PagerDuty for incident management through the stand-in's consent page."""

import re

import pytest

from integrations.models import AuthType, Connection
from tenants.models import Role
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.standin, pytest.mark.django_db(transaction=True)]


def test_connect_pagerduty_with_oauth_lands_on_the_connected_tab(
    page, screenshot, standin, sign_in
):
    membership = MembershipFactory(role=Role.ADMIN, organization__slug="acme-corp")
    sign_in(membership.user.email)

    page.click("text=Integrations")
    page.click("a.tile.provider")
    page.check("input[value=incident_management]")
    page.click("button:has-text('Next')")
    page.wait_for_url(re.compile(r"step=authorize"))
    page.click("button:has-text('Connect PagerDuty')")

    page.wait_for_url(re.compile(re.escape(standin.url) + r"/oauth/authorize"))
    assert page.get_by_text("incidents.read").is_visible()
    screenshot("consent")
    page.click("button[value=approve]")

    page.wait_for_url(re.compile(r"/o/acme-corp/settings/integrations/\?tab=connected"))
    assert page.get_by_text("Connected PagerDuty account acme.").is_visible()
    assert page.locator("table").get_by_text("acme").is_visible()
    screenshot("connected")
    connection = Connection.objects.get(organization=membership.organization)
    assert connection.auth_type == AuthType.OAUTH
    assert connection.purposes == ["incident_management"]
