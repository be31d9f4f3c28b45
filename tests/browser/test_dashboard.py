"""The dashboard at phone width: a new organisation sees its setup checklist with links; an
organisation with failing checks, connections and spend sees them, and nothing scrolls
sideways."""

from datetime import timedelta

import pytest
from django.utils import timezone

from checks.models import CheckStatus, CheckSummary
from spend.models import SaasService, ServiceTier
from tenants.models import Role
from tests.checks.factories import CheckResultFactory
from tests.factories import ConnectionFactory, MembershipFactory, RemoteIncidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def _owner():
    return MembershipFactory(
        role=Role.OWNER,
        user__email="a.very.long.address.for.a.phone@example-organisation.com",
        organization__name="Northwind Logistics and Very Long Company Name International",
    )


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_new_organisation_sees_its_checklist_on_a_phone(page, sign_in, screenshot):
    membership = _owner()
    page.set_viewport_size(PHONE)
    sign_in(membership.user.email)
    checklist = page.locator("section.setup")
    assert checklist.is_visible()
    assert "0 of 5 done" in checklist.inner_text()
    for title in (
        "Connect PagerDuty",
        "Import your staff",
        "Choose incident sources",
        "Configure access",
        "Price PagerDuty under Spend",
    ):
        link = checklist.get_by_role("link", name=title)
        assert link.is_visible(), title
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], title
    assert page.get_by_text("No check has been evaluated yet").is_visible()
    screenshot("new-org-390")
    _fits(page)

    checklist.get_by_role("link", name="Import your staff").click()
    page.wait_for_url("**/staff/import/")


def test_a_busy_dashboard_fits_a_phone(page, sign_in, screenshot):
    membership = _owner()
    organization = membership.organization
    connection = ConnectionFactory(
        organization=organization,
        subdomain="northwind-logistics-production-eu",
        last_synced_at=timezone.now() - timedelta(minutes=3),
    )
    CheckSummary.objects.create(
        organization=organization,
        check_code="incident_closed_within_sla",
        status=CheckStatus.FAILING,
        passing_count=1234,
        failing_count=4,
        evaluated_at=timezone.now(),
    )
    for number in range(4):
        incident = RemoteIncidentFactory(
            connection=connection,
            title=f"Checkout latency above the SLO for customers in region {number} after deploy",
        )
        CheckResultFactory(
            organization=organization,
            entity_id=incident.pk,
            entity_label=incident.title,
            entity_extra={"number": incident.number},
            detail="Open past its SLA of 24 h (high urgency)",
        )
    service = SaasService.objects.create(
        organization=organization, catalog_key="pagerduty", name="PagerDuty", connection=connection
    )
    ServiceTier.objects.create(
        organization=organization,
        service=service,
        name="Business (Full User)",
        price_per_seat_cents=4100,
        seats_used_manual=250,
    )
    page.set_viewport_size(PHONE)
    sign_in(membership.user.email)
    assert page.locator("#needs-attention").is_visible()
    assert page.get_by_role("link", name="See all 4 failing →").is_visible()
    assert page.get_by_text("PagerDuty northwind-logistics-production-eu").is_visible()
    assert page.locator("#spend-headline").is_visible()
    screenshot("busy-390")
    _fits(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot("busy-1280")
