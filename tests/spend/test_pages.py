"""The Spend pages: the list, the catalog, a service's settings and tabs, and revoke."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations.models import ConnectionStatus, Purpose
from spend.models import SaasService, ServiceTier, SpendSettings
from tenants.models import AuditEvent
from tests.factories import ConnectionFactory, RemoteAccountFactory, RemoteLicenseFactory

pytestmark = pytest.mark.django_db


def url(name, organization, *args, query=""):
    return reverse(f"spend:{name}", args=[organization.slug, *args]) + query


@pytest.fixture
def pagerduty(organization, owner):
    from spend.services import service_add_pagerduty

    connection = ConnectionFactory(
        organization=organization, purposes=[Purpose.INCIDENT_MANAGEMENT]
    )
    full = RemoteLicenseFactory(
        connection=connection, name="Business (Full User)", role_group="FullUser"
    )
    RemoteLicenseFactory(
        connection=connection, name="Business (Stakeholder)", role_group="Stakeholder"
    )
    RemoteAccountFactory(connection=connection, email="ada@example.com", license=full)
    return service_add_pagerduty(organization=organization, acting_user=owner)


def test_adding_pagerduty_from_the_catalog_links_the_connection_and_adds_the_spend_use(
    admin_client, organization
):
    connection = ConnectionFactory(
        organization=organization, purposes=[Purpose.INCIDENT_MANAGEMENT]
    )
    assert "PagerDuty" in admin_client.get(url("catalog", organization)).content.decode()

    response = admin_client.post(
        url("service_add_pagerduty", organization), {"catalog_key": "pagerduty"}
    )

    service = SaasService.objects.get(organization=organization, catalog_key="pagerduty")
    assert response.status_code == 302
    assert response["Location"] == url("service_settings", organization, service.pk)
    assert service.connection == connection
    connection.refresh_from_db()
    assert Purpose.SPEND in connection.purposes
    assert AuditEvent.objects.filter(action="spend.service_add").exists()


def test_integrating_without_a_connection_starts_the_connect_flow(admin_client, organization):
    admin_client.post(url("service_add_pagerduty", organization), {"catalog_key": "pagerduty"})
    service = SaasService.objects.get(organization=organization)

    response = admin_client.post(url("service_integrate", organization, service.pk))

    assert response["Location"] == reverse("integrations:provider_detail", args=[organization.slug])


def test_catalog_search_narrows_the_list(admin_client, organization):
    content = admin_client.get(url("catalog", organization, query="?q=atlassian")).content.decode()
    assert "Jira" in content and "Confluence" in content and "Slack" not in content


def test_a_service_added_by_hand_counts_its_price_times_seats(admin_client, organization):
    response = admin_client.post(
        url("service_add_manual", organization),
        {
            "name": "Slack",
            "vendor": "Salesforce",
            "category": "Chat",
            "price": "8.75",
            "seats": "12",
        },
    )

    assert response.status_code == 302
    page = admin_client.get(url("service_list", organization)).content.decode()
    assert "Slack" in page and "$105.00" in page


@pytest.mark.parametrize(
    ("price", "seats", "error"),
    [
        ("-1", "3", "A price cannot be negative."),
        ("abc", "3", "is not a price"),
        ("1.234", "3", "at most two decimals"),
        ("5", "-2", "Seats cannot be negative."),
        ("5", "two", "Enter whole seats."),
    ],
)
def test_bad_prices_and_seats_are_errors_beside_the_field(
    admin_client, organization, price, seats, error
):
    response = admin_client.post(
        url("service_add_manual", organization), {"name": "Zoom", "price": price, "seats": seats}
    )

    assert response.status_code == 400
    assert error in response.content.decode()
    assert not SaasService.objects.filter(organization=organization).exists()


def test_settings_price_each_tier_and_set_the_org_currency(admin_client, organization, pagerduty):
    full, stakeholder = pagerduty.tiers.order_by("position")
    assert (full.price_per_seat_cents, stakeholder.price_per_seat_cents) == (4100, 300)

    response = admin_client.post(
        url("service_settings", organization, pagerduty.pk),
        {
            f"price_{full.pk}": "45.50",
            f"seats_bought_{full.pk}": "10",
            f"price_{stakeholder.pk}": "3",
            f"seats_bought_{stakeholder.pk}": "",
            "billing_cycle": "annual",
            "renewal_date": "2099-01-31",
            "renewal_notice_days": "60",
            "currency": "EUR",
            "notes": "Renews with the ELA",
        },
    )

    assert response.status_code == 302
    full.refresh_from_db()
    assert (full.price_per_seat_cents, full.seats_bought) == (4550, 10)
    assert SpendSettings.objects.get(organization=organization).currency == "EUR"
    page = admin_client.get(url("service_list", organization)).content.decode()
    assert "€455.00" in page
    assert AuditEvent.objects.filter(action="spend.service_update").exists()


def test_a_renewal_date_in_the_past_is_saved_with_a_warning(admin_client, organization, pagerduty):
    response = admin_client.post(
        url("service_settings", organization, pagerduty.pk),
        {
            "billing_cycle": "monthly",
            "renewal_date": "2020-01-01",
            "renewal_notice_days": "60",
            "currency": "USD",
        },
        follow=True,
    )

    assert "renewal date is in the past" in response.content.decode()
    pagerduty.refresh_from_db()
    assert str(pagerduty.renewal_date) == "2020-01-01"


def test_an_unknown_currency_is_an_error_beside_the_field(admin_client, organization, pagerduty):
    response = admin_client.post(
        url("service_settings", organization, pagerduty.pk),
        {"billing_cycle": "monthly", "renewal_notice_days": "60", "currency": "XYZ"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_owner_revokes_from_the_service_page(owner_client, organization, pagerduty):
    settings_page = owner_client.get(url("service_settings", organization, pagerduty.pk))
    assert "Revoke authorization" in settings_page.content.decode()

    response = owner_client.post(
        url("service_revoke", organization, pagerduty.pk), {"data": "keep", "confirm": "on"}
    )

    assert response.status_code == 302
    pagerduty.connection.refresh_from_db()
    assert pagerduty.connection.status == ConnectionStatus.REVOKED
    assert AuditEvent.objects.filter(action="connection.revoke").exists()


def test_admin_cannot_revoke_from_the_service_page(admin_client, organization, pagerduty):
    settings_page = admin_client.get(url("service_settings", organization, pagerduty.pk))
    assert "Only an owner can revoke" in settings_page.content.decode()

    response = admin_client.post(
        url("service_revoke", organization, pagerduty.pk), {"data": "keep", "confirm": "on"}
    )

    assert response.status_code == 403
    pagerduty.connection.refresh_from_db()
    assert pagerduty.connection.status != ConnectionStatus.REVOKED


def test_members_can_read_the_tabs_but_not_the_settings(member_client, organization, pagerduty):
    for name in ("service_list", "service_members", "service_usage", "service_insights"):
        args = [] if name == "service_list" else [pagerduty.pk]
        assert member_client.get(url(name, organization, *args)).status_code == 200, name
    assert member_client.get(url("service_settings", organization, pagerduty.pk)).status_code == 403


def test_members_tab_filters_sorts_and_exports_csv(member_client, organization, pagerduty):
    RemoteAccountFactory(
        connection=pagerduty.connection,
        email="zed@example.com",
        role="read_only_user",
        invitation_pending=True,
    )
    page = member_client.get(
        url("service_members", organization, pagerduty.pk, query="?status=invited")
    ).content.decode()
    assert "zed@example.com" in page and "ada@example.com" not in page
    assert "Full Stakeholder" in page

    csv = b"".join(
        member_client.get(url("service_members_csv", organization, pagerduty.pk)).streaming_content
    ).decode()
    assert csv.splitlines()[0].startswith("email,name,role,license_tier,last_seen")
    assert "zed@example.com" in csv and "ada@example.com" in csv


def test_a_tier_nobody_bought_is_not_created_twice(organization, pagerduty):
    from spend.rollups import service_tiers_sync

    service_tiers_sync(service=pagerduty)
    assert ServiceTier.objects.filter(service=pagerduty).count() == 2


def test_an_empty_members_tab_says_the_first_sync_has_not_finished(
    member_client, organization, owner
):
    connection = ConnectionFactory(
        organization=organization, purposes=[Purpose.SPEND], last_synced_at=None
    )
    from spend.services import service_add_pagerduty

    service = service_add_pagerduty(organization=organization, acting_user=owner)
    assert service.connection == connection

    members = member_client.get(url("service_members", organization, service.pk))
    usage = member_client.get(url("service_usage", organization, service.pk))

    assert "The first sync has not finished yet" in members.content.decode()
    assert "The first sync has not finished yet" in usage.content.decode()
