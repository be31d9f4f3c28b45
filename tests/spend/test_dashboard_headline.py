"""The dashboard's spend headline: monthly spend, the potential saving the latest insights
named (each account once), unpriced services and renewals due, linking to Spend."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from spend.dashboard import open_saving_cents
from spend.models import InsightFinding, SaasService, ServiceTier
from tests.factories import ConnectionFactory, RemoteAccountFactory

pytestmark = pytest.mark.django_db


def _panel(client, organization) -> str:
    html = client.get(reverse("tenants:dashboard", args=[organization.slug])).content.decode()
    return html[html.index('id="spend-headline"') :] if 'id="spend-headline"' in html else ""


def test_no_service_no_headline(owner_client, organization):
    assert _panel(owner_client, organization) == ""


def test_the_headline_shows_spend_saving_and_renewal(owner_client, organization):
    service = SaasService.objects.create(
        organization=organization,
        name="Zoom",
        renewal_date=timezone.localdate() + timedelta(days=10),
        renewal_notice_days=30,
    )
    ServiceTier.objects.create(
        organization=organization,
        service=service,
        name="Pro",
        price_per_seat_cents=1500,
        seats_used_manual=4,
    )
    SaasService.objects.create(organization=organization, name="Figma")
    panel = _panel(owner_client, organization)
    assert "No saving found" in panel
    ServiceTier.objects.filter(service=service).update(seats_bought=6)  # two unused seats
    panel = _panel(owner_client, organization)
    assert "$30.00" in panel and "potential saving a month" in panel
    assert "$90.00" in panel and "a month on 2 services" in panel  # six seats bought
    assert "Zoom renews on" in panel
    assert "Not priced yet" not in panel  # Figma has no tier: nothing to price
    assert reverse("spend:service_list", args=[organization.slug]) in panel


def test_the_saving_counts_each_account_once_and_only_the_latest_findings(organization):
    connection = ConnectionFactory(organization=organization)
    service = SaasService.objects.create(
        organization=organization, catalog_key="pagerduty", name="PagerDuty", connection=connection
    )
    now = timezone.now()
    first, second, old, gone = (RemoteAccountFactory(connection=connection) for _ in range(4))

    def finding(account, code, cents, **fields):
        InsightFinding.objects.create(
            organization=organization,
            service=service,
            code=code,
            account=account,
            monthly_saving_cents=cents,
            **{"last_named_at": now, **fields},
        )

    finding(first, "inactive", 4100)
    finding(first, "downgrade", 3000)  # the same account: its largest saving only
    finding(second, "never_joined", 4100)
    finding(old, "inactive", 4100, last_named_at=now - timedelta(days=1))  # no longer named
    finding(gone, "inactive", 4100, realized_at=now)  # already saved
    assert open_saving_cents(organization=organization) == 8200
