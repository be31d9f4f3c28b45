"""Monthly rollups against the stand-in's known data: incidents, alerts, billable alerts and
notifications per month, across the boundaries of the notification windows."""

from __future__ import annotations

from collections import Counter

import pytest
from django.utils import timezone

from integrations.models import RemoteNotificationCount, RemoteSeatCount, SyncRunStatus
from pagerduty_standin.account.notifications import notification_totals
from spend.models import UsageMonth
from spend.report import spend_report
from spend.services import service_add_pagerduty
from tests.spend.conftest import month_key

pytestmark = pytest.mark.django_db


def test_usage_rollups_match_the_standin_month_by_month(organization, owner, synced):
    server, connection, run = synced
    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    service = service_add_pagerduty(organization=organization, acting_user=owner)

    dataset = server.dataset
    incidents: Counter[str] = Counter()
    alerts: Counter[str] = Counter()
    for incident in dataset.incidents:
        incidents[month_key(incident.created_at)] += 1
        alerts[month_key(incident.created_at)] += incident.alert_count
    notifications = notification_totals(dataset.incidents)

    rows = {f"{row.month:%Y-%m}": row for row in UsageMonth.objects.filter(service=service)}
    assert set(incidents) <= set(rows)
    for month, count in incidents.items():
        assert rows[month].incidents == count, month
        assert rows[month].alerts == alerts[month], month
    for month, by_type in notifications.items():
        assert rows[month].notifications == sum(by_type.values()), month
        assert rows[month].billable_alerts == by_type.get("sms_notification", 0) + by_type.get(
            "phone_notification", 0
        ), month
    # Several 88-day windows were needed, so month boundaries fell inside windows.
    assert run.requests_by_path["/notifications"] >= 9
    assert rows[f"{timezone.now():%Y-%m}"].peak_seats == dataset.summary()["users"]


def test_a_second_sync_rereads_only_the_current_and_previous_month(organization, owner, synced):
    from integrations.models import SyncTrigger
    from integrations.pagerduty.sync.run import sync_connection
    from tests.spend.conftest import quick_client

    _, connection, _ = synced
    months_before = RemoteNotificationCount.objects.filter(connection=connection).count()
    client = quick_client(connection)
    run = sync_connection(connection=connection, trigger=SyncTrigger.SCHEDULE, client=client)

    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    assert run.requests_by_path["/notifications"] <= 2
    assert RemoteNotificationCount.objects.filter(connection=connection).count() == months_before
    assert RemoteSeatCount.objects.filter(connection=connection).count() == 2


def test_spend_report_has_every_synced_month_and_prices_from_list_prices(
    organization, owner, synced
):
    service_add_pagerduty(organization=organization, acting_user=owner)

    report = spend_report(organization=organization)

    (pagerduty,) = report["services"]
    assert pagerduty["integrated"] is True
    tiers = {tier["name"]: tier for tier in pagerduty["tiers"]}
    assert tiers["Business (Full User)"]["price_per_seat_cents"] == 4100
    assert tiers["Business (Stakeholder)"]["price_per_seat_cents"] == 300
    licenses = {license.name: license for license in synced[0].dataset.licenses}
    assert tiers["Business (Full User)"]["seats_bought"] == (
        licenses["Business (Full User)"].purchased
    )
    assert pagerduty["monthly_spend_cents"] == sum(
        tier["seats_bought"] * tier["price_per_seat_cents"] for tier in pagerduty["tiers"]
    )
    unused = next(item for item in pagerduty["insights"] if item["code"] == "unused_seats")
    assert unused["count"] == sum(
        tier["seats_bought"] - tier["seats_used"] for tier in pagerduty["tiers"]
    )
    assert pagerduty["members"]["total"] == synced[0].dataset.summary()["users"]
    assert [row["month"] for row in pagerduty["usage"]] == sorted(
        row["month"] for row in pagerduty["usage"]
    )
    assert {insight["code"] for insight in pagerduty["insights"]} >= {
        "inactive",
        "never_joined",
        "downgrade_to_stakeholder",
    }
