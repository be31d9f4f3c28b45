"""At phone width (390 px) no page scrolls sideways, titles wrap, and the menu reaches every section.

The menu is a CSS checkbox toggle, so it opens without JavaScript; the test turns JavaScript off.
"""

import pytest
from django.utils import timezone

from access.models import CriticalSystem, SystemKind
from integrations.models import Purpose
from spend.services import service_add_pagerduty
from tenants.models import Role
from tests.access.factories import AccessReviewFactory, ManualAccountFactory, ManualSystemFactory
from tests.api.factories import ApiTokenFactory
from tests.factories import (
    ConnectionFactory,
    MembershipFactory,
    RemoteAccountFactory,
    RemoteIncidentFactory,
    RemoteLicenseFactory,
    RemoteServiceFactory,
    StaffMemberFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SECTIONS = [
    "Dashboard",
    "Incidents",
    "Access",
    "Staff directory",
    "Monitoring",
    "Spend",
    "Integrations",
    "Members",
    "Org roles",
    "Audit log",
    "Access monitoring",
    "API tokens",
]
PAGES = {
    "dashboard": "",
    "staff": "staff/",
    "staff-import": "staff/import/",
    "incidents": "incidents/",
    "monitoring": "monitoring/",
    "integrations": "settings/integrations/",
    "members": "members/",
    "audit-log": "audit-log/",
    "org-roles": "org-roles/",
    "staff-edit": "staff/{staff_id}/edit/",
    "access": "access/",
    "access-add": "access/add/",
    "access-monitoring": "access/monitoring/",
    "access-summary": "access/systems/{system_id}/",
    "access-accounts": "access/systems/{system_id}/accounts/",
    "access-offboarded": "access/systems/{system_id}/offboarded/",
    "access-reviews": "access/systems/{system_id}/reviews/",
    "access-settings": "access/systems/{system_id}/settings/",
    "access-import": "access/systems/{system_id}/import/",
    "access-manual-account": "access/systems/{system_id}/manual-accounts/{manual_account_id}/",
    "access-pagerduty-accounts": "access/systems/{pagerduty_system_id}/accounts/",
    "access-account": "access/accounts/{account_id}/",
    "access-staff": "access/staff/{staff_id}/",
    "access-review": "access/reviews/{review_id}/",
    "spend": "spend/",
    "spend-catalog": "spend/catalog/",
    "spend-add": "spend/add/",
    "spend-members": "spend/{service_id}/",
    "spend-usage": "spend/{service_id}/usage/",
    "spend-insights": "spend/{service_id}/insights/",
    "spend-settings": "spend/{service_id}/settings/",
    "spend-revoke": "spend/{service_id}/revoke/",
    "connection": "settings/integrations/connections/{connection_id}/",
    "api-tokens": "settings/api-tokens/",
}


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized browser without JavaScript, signed in as an org owner with data to show."""
    membership = MembershipFactory(
        role=Role.OWNER,
        user__email="a.very.long.address.for.a.phone@example-organisation.com",
        organization__name="Northwind Logistics and Very Long Company Name International",
    )
    organization = membership.organization
    connection = ConnectionFactory(
        organization=organization,
        last_synced_at=timezone.now(),
        purposes=[Purpose.INCIDENT_MANAGEMENT, Purpose.ACCESS_MANAGEMENT],
    )
    service = RemoteServiceFactory(connection=connection, name="Orders API (production, EU-West)")
    for number in range(3):
        RemoteIncidentFactory(
            connection=connection,
            service=service,
            title=f"Checkout latency above the SLO for customers in region {number} after deploy",
        )
    staff = [
        StaffMemberFactory(
            organization=organization,
            name=f"Staff Member With A Long Name {number}",
            email=f"staff.member.with.long.address.{number}@example-organisation.com",
        )
        for number in range(3)
    ]
    system = ManualSystemFactory(
        organization=organization, name="Customer Billing Back Office (legacy, EU-West)"
    )
    manual_account = ManualAccountFactory(
        system=system, email=staff[0].email, name="Staff Member With A Long Name 0"
    )
    ManualAccountFactory(
        system=system, email="an.unidentified.contractor.address@another-company.example"
    )
    review = AccessReviewFactory(system=system)
    pagerduty_system = CriticalSystem.objects.create(
        organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
    )
    full = RemoteLicenseFactory(
        connection=connection, name="Business (Full User)", role_group="FullUser"
    )
    account = RemoteAccountFactory(connection=connection, email=staff[1].email, license=full)
    service = service_add_pagerduty(organization=organization, acting_user=membership.user)
    ApiTokenFactory(organization=organization, name="Deployment pipeline (production, EU-West)")
    ids = {
        "staff_id": staff[0].pk,
        "system_id": system.pk,
        "manual_account_id": manual_account.pk,
        "pagerduty_system_id": pagerduty_system.pk,
        "account_id": account.pk,
        "review_id": review.pk,
        "service_id": service.pk,
        "connection_id": connection.pk,
    }

    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    from django.test import Client

    client = Client()
    client.force_login(membership.user)
    session_cookie = client.cookies["sessionid"]
    context.add_cookies(
        [{"name": "sessionid", "value": session_cookie.value, "url": live_server.url}]
    )
    page.base_url = f"{live_server.url}/o/{organization.slug}/"
    page.ids = ids
    yield page
    context.close()


def document_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_a_phone_without_sideways_scrolling(phone_page, name, request):
    from tests.browser.conftest import OUTPUT_DIR

    response = phone_page.goto(phone_page.base_url + PAGES[name].format(**phone_page.ids))
    assert response.status == 200

    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    phone_page.screenshot(path=str(OUTPUT_DIR / f"phone-{name}.png"), full_page=True)
    assert document_width(phone_page) <= PHONE["width"]
    heading = phone_page.locator("main h1").first
    box = heading.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert heading.evaluate("h => h.scrollWidth <= h.clientWidth")


def test_menu_opens_without_javascript_and_reaches_every_section(phone_page):
    from tests.browser.conftest import OUTPUT_DIR

    phone_page.goto(phone_page.base_url)
    sidebar = phone_page.locator("aside.sidebar")
    assert not sidebar.is_visible()

    phone_page.get_by_text("Menu", exact=True).click()

    assert sidebar.is_visible()
    phone_page.screenshot(path=str(OUTPUT_DIR / "phone-menu-open.png"), full_page=True)
    assert document_width(phone_page) <= PHONE["width"]
    for section in SECTIONS:
        link = sidebar.get_by_role("link", name=section, exact=True)
        assert link.is_visible(), section
        box = link.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"], section

    sidebar.get_by_role("link", name="Monitoring", exact=True).click()
    phone_page.wait_for_url("**/monitoring/")
    assert not phone_page.locator("aside.sidebar").is_visible()


def test_desktop_keeps_the_sidebar_open_without_a_menu_button(page, phone_page):
    page.context.add_cookies(phone_page.context.cookies())
    page.goto(phone_page.base_url)
    assert page.locator("aside.sidebar").is_visible()
    assert not page.get_by_text("Menu", exact=True).is_visible()
