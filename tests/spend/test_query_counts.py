"""Pages stay within a bounded number of SQL queries, whatever the number of members."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrations.models import RemoteAccount, RemoteLicense, RemoteSeatCount
from spend.models import SaasService, ServiceTier, UsageMonth
from tenants.models import StaffMember
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db

MEMBERS = 5000


@pytest.fixture
def big_pagerduty(organization):
    connection = ConnectionFactory(organization=organization)
    now = timezone.now()
    full = RemoteLicense.objects.create(
        organization=organization,
        connection=connection,
        external_id="PLF",
        name="Full",
        role_group="FullUser",
    )
    RemoteAccount.objects.bulk_create(
        RemoteAccount(
            organization=organization,
            connection=connection,
            external_id=f"PU{number:05d}",
            name=f"User {number}",
            email=f"user{number}@example.com",
            role="user" if number % 5 else "read_only_user",
            license=full if number % 5 else None,
            last_sign_in_at=now - timedelta(days=number % 120),
            on_schedule=number % 3 == 0,
            on_escalation_policy=number % 7 == 0,
            invitation_pending=number % 50 == 0,
            removed_at=now if number % 97 == 0 else None,
        )
        for number in range(MEMBERS)
    )
    StaffMember.objects.bulk_create(
        StaffMember(
            organization=organization,
            name=f"Staff {number}",
            email=f"user{number}@example.com",
            status="offboarded" if number % 9 else "active",
        )
        for number in range(0, MEMBERS, 10)
    )
    service = SaasService.objects.create(
        organization=organization, catalog_key="pagerduty", name="PagerDuty", connection=connection
    )
    ServiceTier.objects.create(
        organization=organization,
        service=service,
        name="Full",
        role_group="FullUser",
        price_per_seat_cents=4100,
    )
    ServiceTier.objects.create(
        organization=organization,
        service=service,
        name="Stakeholder",
        role_group="Stakeholder",
        price_per_seat_cents=300,
    )
    first = date(2024, 1, 1)
    UsageMonth.objects.bulk_create(
        UsageMonth(
            organization=organization,
            service=service,
            month=date(
                first.year + (first.month + index - 1) // 12, (first.month + index - 1) % 12 + 1, 1
            ),
            incidents=index * 10,
            alerts=index * 20,
            billable_alerts=index,
            notifications=index * 3,
            peak_seats=4000 + index,
        )
        for index in range(30)
    )
    RemoteSeatCount.objects.create(
        organization=organization,
        connection=connection,
        day=date(2024, 1, 2),
        tier_name="Full",
        seat_count=4000,
    )
    return service


def page(name, organization, service, query=""):
    return reverse(f"spend:{name}", args=[organization.slug, service.pk]) + query


def test_members_page_with_5000_accounts_is_bounded(
    member_client, organization, big_pagerduty, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        response = member_client.get(page("service_members", organization, big_pagerduty))
    assert response.status_code == 200
    assert "5000 in all" in response.content.decode() or "in all" in response.content.decode()

    with django_assert_max_num_queries(12):
        response = member_client.get(
            page(
                "service_members",
                organization,
                big_pagerduty,
                "?status=inactive&sort=last_seen&order=desc&page=3",
            )
        )
    assert response.status_code == 200


def test_usage_page_is_bounded(
    member_client, organization, big_pagerduty, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        response = member_client.get(page("service_usage", organization, big_pagerduty))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count('class="chart-bar"') == 5 * 12
    assert "2024-01" in content  # the table has every month, older than the charts


def test_insights_and_list_pages_are_bounded(
    member_client, organization, big_pagerduty, django_assert_max_num_queries
):
    # Staff matching loads the critical system, staff emails and alternate emails once each.
    with django_assert_max_num_queries(16):
        response = member_client.get(page("service_insights", organization, big_pagerduty))
    assert response.status_code == 200
    assert "Offboarded staff still holding a seat" in response.content.decode()
    with django_assert_max_num_queries(12):
        assert (
            member_client.get(reverse("spend:service_list", args=[organization.slug])).status_code
            == 200
        )
