"""The usage sync step: notification windows under three months and under the 10,000 ceiling,
incremental months, daily seats, and a missing scope that only skips notifications."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import requests
import responses

from integrations.models import (
    ConnectionStatus,
    RemoteNotificationCount,
    RemoteSeatCount,
    SyncRunStatus,
    SyncTrigger,
)
from integrations.pagerduty import client as client_module
from integrations.pagerduty.datetimes import format_pagerduty_datetime
from integrations.pagerduty.sync.run import sync_connection
from integrations.pagerduty.sync.steps.usage import UsageStep, contiguous_runs
from pagerduty_standin import DEFAULT_API_KEY
from tests.factories import ConnectionFactory
from tests.integrations.sync.fake_pagerduty import FakePagerDuty, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pagerduty() -> Iterator[FakePagerDuty]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakePagerDuty(mock)


def notification(number: int, started_at: datetime, kind: str = "sms_notification") -> dict:
    return {
        "id": f"PN{number:06d}",
        "type": kind,
        "started_at": format_pagerduty_datetime(started_at),
        "user": {"id": "PUSER1", "type": "user_reference"},
    }


def test_notifications_are_read_in_windows_under_three_months(pagerduty):
    client = pagerduty.client()
    since = datetime(2025, 1, 1, tzinfo=UTC)
    until = datetime(2025, 12, 1, tzinfo=UTC)
    pagerduty.notifications = [
        notification(day, since + timedelta(days=day, hours=3)) for day in range(0, 334, 3)
    ]
    seen = [
        item["id"] for page in client.iter_notifications(since=since, until=until) for item in page
    ]

    assert len(seen) == len(set(seen)) == len(pagerduty.notifications)
    assert pagerduty.count("/notifications") == 4  # 334 days in four windows of at most 88


def test_a_window_over_the_ceiling_is_split_in_two(pagerduty, monkeypatch):
    monkeypatch.setattr(client_module, "WINDOW_SPLIT_THRESHOLD", 40)
    client = pagerduty.client(page_limit=25)
    since = datetime(2025, 3, 1, tzinfo=UTC)
    pagerduty.notifications = [
        notification(index, since + timedelta(hours=12 * index)) for index in range(60)
    ]

    seen = [
        item["id"]
        for page in client.iter_notifications(since=since, until=since + timedelta(days=30))
        for item in page
    ]

    assert sorted(seen) == sorted(item["id"] for item in pagerduty.notifications)
    # first asked for the whole window (total 60 > 40), then each half (30 each: two pages)
    assert pagerduty.count("/notifications") == 1 + 2 * 2


def test_the_standin_refuses_three_months_and_the_client_never_asks_it(start_standin):
    server = start_standin()
    headers = {
        "Authorization": f"Token token={DEFAULT_API_KEY}",
        "Accept": "application/vnd.pagerduty+json;version=2",
    }
    refused = requests.get(
        f"{server.url}/notifications",
        params={"since": "2025-01-01T00:00:00Z", "until": "2025-04-01T00:00:00Z"},
        headers=headers,
        timeout=10,
    )
    assert refused.status_code == 400
    allowed = requests.get(
        f"{server.url}/notifications",
        params={"since": "2025-01-01T00:00:00Z", "until": "2025-03-31T00:00:00Z", "total": "true"},
        headers=headers,
        timeout=10,
    )
    assert allowed.status_code == 200 and allowed.json()["total"] is not None


def test_months_to_read_group_into_runs():
    months = [
        date(2025, 1, 1),
        date(2025, 2, 1),
        date(2025, 4, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
    ]
    assert contiguous_runs(months) == [
        (date(2025, 1, 1), date(2025, 2, 1)),
        (date(2025, 4, 1), date(2025, 4, 1)),
        (date(2025, 12, 1), date(2026, 1, 1)),
    ]


def test_later_syncs_read_again_only_months_not_read_since_they_settled(organization, settings):
    """The current month always; a past month until it was read a day after its end."""
    settings.INCIDENT_BACKFILL_DAYS = 100
    connection = ConnectionFactory(organization=organization)
    now = datetime(2026, 7, 10, 12, tzinfo=UTC)

    def read(month: date, at: datetime) -> None:
        RemoteNotificationCount.objects.create(
            organization=organization,
            connection=connection,
            month=month,
            notification_type="sms_notification",
            synced_at=at,
        )

    read(date(2026, 4, 1), datetime(2026, 5, 3, tzinfo=UTC))  # settled: read two days after
    read(date(2026, 5, 1), datetime(2026, 6, 1, 6, tzinfo=UTC))  # read within a day of its end
    read(date(2026, 7, 1), datetime(2026, 7, 10, 11, tzinfo=UTC))  # the running month
    # June was never read.

    sync = SimpleNamespace(now=now, connection=connection)
    assert UsageStep()._months_to_read(sync) == [
        date(2026, 5, 1),
        date(2026, 6, 1),
        date(2026, 7, 1),
    ]
    # That sync read them again: May and June are over and settled now.
    RemoteNotificationCount.objects.filter(month=date(2026, 5, 1)).update(
        synced_at=datetime(2026, 7, 10, 11, tzinfo=UTC)
    )
    read(date(2026, 6, 1), datetime(2026, 7, 10, 11, tzinfo=UTC))
    assert UsageStep()._months_to_read(sync) == [date(2026, 7, 1)]


def test_usage_counts_notifications_per_month_and_type_and_seats_per_tier(
    organization, pagerduty, settings
):
    settings.INCIDENT_BACKFILL_DAYS = 40
    now = datetime.now(UTC)
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    pagerduty.users = [
        make_user("PUSER1", "ada@example.com"),
        make_user("PUSER2", "bo@example.com"),
    ]
    pagerduty.notifications = [
        notification(1, this_month + timedelta(minutes=1), "sms_notification"),
        notification(2, this_month + timedelta(minutes=2), "phone_notification"),
        notification(3, this_month + timedelta(minutes=3), "email_notification"),
        notification(4, this_month - timedelta(minutes=1), "push_notification"),
    ]
    connection = ConnectionFactory(organization=organization)

    run = sync_connection(
        connection=connection, trigger=SyncTrigger.MANUAL, client=pagerduty.client()
    )

    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    counts = {
        (row.month, row.notification_type): row.count
        for row in RemoteNotificationCount.objects.filter(connection=connection)
    }
    current = this_month.date()
    previous = (this_month - timedelta(days=1)).date().replace(day=1)
    assert counts[(current, "sms_notification")] == 1
    assert counts[(current, "phone_notification")] == 1
    assert counts[(current, "push_notification")] == 0
    assert counts[(previous, "push_notification")] == 1
    seats = {row.tier_name: row.seat_count for row in RemoteSeatCount.objects.all()}
    assert seats == {"Full User": 2}


def test_a_missing_notifications_scope_is_a_note_and_nothing_else_fails(organization, pagerduty):
    pagerduty.users = [make_user("PUSER1", "ada@example.com")]
    pagerduty.fail("/notifications", 403, "Access Denied")
    connection = ConnectionFactory(organization=organization)

    run = sync_connection(
        connection=connection, trigger=SyncTrigger.MANUAL, client=pagerduty.client()
    )

    assert run.status == SyncRunStatus.SUCCEEDED
    assert any("users:notifications.read" in note for note in run.notes)
    assert (
        "seat_counts" in run.counts
        and RemoteSeatCount.objects.filter(connection=connection).exists()
    )
    assert not RemoteNotificationCount.objects.filter(connection=connection).exists()
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.MISSING_SCOPES
