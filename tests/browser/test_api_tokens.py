"""End to end in a real browser: an admin creates an API token (shown once), automation uses
it, the admin revokes it; the API docs page renders Swagger UI from local files under the CSP."""

import pytest
import requests

from api.models import ApiToken
from tenants.models import Role
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_uses_and_revokes_a_token(page, screenshot, sign_in, live_server):
    membership = MembershipFactory(role=Role.ADMIN, user__email="ops@example.com")
    organization = membership.organization
    sign_in("ops@example.com")
    page.click("text=API tokens")
    page.wait_for_selector("h1:has-text('API tokens')")
    screenshot("empty")
    page.fill("input[name=name]", "Nightly evidence export")
    page.select_option("select[name=role]", "member")
    page.fill("input[name=expires_days]", "90")
    page.click("button:has-text('Create token')")
    page.wait_for_selector("text=shown only once")
    secret = page.input_value("#api-token-secret")
    assert secret.startswith("spl_")
    screenshot("shown-once")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("shown-once-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})

    api_url = f"{live_server.url}/api/v1/orgs/{organization.slug}/checks/"
    headers = {"Authorization": f"Bearer {secret}"}
    assert requests.get(api_url, headers=headers, timeout=10).status_code == 200

    page.click("text=Back to API tokens")
    page.wait_for_selector("text=Nightly evidence export")
    assert secret not in page.content()
    screenshot("listed")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("listed-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("summary:has-text('Revoke')")
    screenshot("revoke-confirm")
    page.click("button:has-text('Yes, revoke')")
    page.wait_for_selector(".badge.revoked")
    assert ApiToken.objects.get().revoked_at is not None
    assert requests.get(api_url, headers=headers, timeout=10).status_code == 401


def test_api_docs_render_without_csp_violations(page, screenshot, live_server):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or "Refused" in message.text
            else None
        ),
    )
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector("text=Sprintolike API")
    page.wait_for_selector("text=/api/v1/orgs/{org_slug}/incidents/")
    screenshot("docs")
    assert not violations, violations
