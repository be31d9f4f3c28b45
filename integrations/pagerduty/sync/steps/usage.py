"""The step that records usage for spend: seats held per license tier today, and notifications
sent per month and type.

* Seats: PagerDuty bills the highest number of users at any time in the month and no API says
  what that was, so every sync records the seats held per tier today (the day's highest).
* Notifications: ``GET /notifications`` (scope ``users:notifications.read``) in windows under
  three months, each split under the 10,000 offset ceiling (see the client), counted per month
  and type. The first sync reads the backfill window; later ones re-read only the current month,
  plus any month never read or not read since a day after it ended. A month read stores a row per type (zero too), so
  a month without rows was not read: spend shows "not available" there.

A missing scope skips the notifications with a note on the run; nothing else fails.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, CharField, Count, F, Min, Value, When
from django.db.models.functions import Coalesce

from integrations.models import RemoteAccount, RemoteNotificationCount, RemoteSeatCount
from integrations.pagerduty.datetimes import parse_pagerduty_datetime
from integrations.pagerduty.errors import PagerDutyForbidden
from integrations.pagerduty.roles import PagerDutyRole
from integrations.pagerduty.sync.context import SyncContext
from integrations.pagerduty.sync.steps.incidents import backfill_start

NOTIFICATION_TYPES = (
    "sms_notification",
    "phone_notification",
    "email_notification",
    "push_notification",
)
BILLABLE_NOTIFICATION_TYPES = ("sms_notification", "phone_notification")
STAKEHOLDER_ROLES = (PagerDutyRole.FULL_STAKEHOLDER, PagerDutyRole.LIMITED_STAKEHOLDER)
# Tiers of accounts without a license (licenses not readable): by role group.
FALLBACK_TIER_FULL_USER = ("Full User", "FullUser")
FALLBACK_TIER_STAKEHOLDER = ("Stakeholder", "Stakeholder")
# A month's notifications are read again until a read a day after its end (late arrivals).
MONTH_SETTLES_AFTER = timedelta(days=1)
NOTIFICATIONS_MISSING_NOTE = (
    "Notifications skipped: {message} Billable alerts and notifications show as not available "
    "until the 'users:notifications.read' permission is granted."
)


def month_start(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last`` (first days, both included)."""
    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def contiguous_runs(months: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted months grouped into runs of consecutive months: (first month, last month)."""
    runs: list[tuple[date, date]] = []
    for month in sorted(set(months)):
        if runs and next_month(runs[-1][1]) == month:
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def account_tier_expressions() -> dict[str, Any]:
    """SQL for an account's tier: its license, else the role group its role belongs to."""
    is_stakeholder = When(role__in=[str(role) for role in STAKEHOLDER_ROLES], then=Value(True))
    fallback_name = Case(
        When(is_stakeholder.condition, then=Value(FALLBACK_TIER_STAKEHOLDER[0])),
        default=Value(FALLBACK_TIER_FULL_USER[0]),
        output_field=CharField(),
    )
    fallback_group = Case(
        When(is_stakeholder.condition, then=Value(FALLBACK_TIER_STAKEHOLDER[1])),
        default=Value(FALLBACK_TIER_FULL_USER[1]),
        output_field=CharField(),
    )
    return {
        "tier_name": Coalesce(F("license__name"), fallback_name),
        "tier_role_group": Coalesce(F("license__role_group"), fallback_group),
    }


def seats_by_tier(*, connection_id: int) -> dict[tuple[str, str], int]:
    """Live accounts (not removed) per (tier name, role group): the seats held now."""
    rows = (
        RemoteAccount.objects.filter(connection_id=connection_id, removed_at__isnull=True)
        .annotate(**account_tier_expressions())
        .values("tier_name", "tier_role_group")
        .annotate(seats=Count("pk"))
    )
    return {(row["tier_name"], row["tier_role_group"]): row["seats"] for row in rows}


class UsageStep:
    """Seats per tier today, and notifications per month and type."""

    name = "usage"
    label = "Usage"

    def due(self, sync: SyncContext) -> bool:
        return True

    def run(self, sync: SyncContext) -> None:
        self._record_seats(sync)
        try:
            self._read_notifications(sync)
        except PagerDutyForbidden as error:
            note = NOTIFICATIONS_MISSING_NOTE.format(message=error.message)
            sync.notes.append(note)
            sync.permission_notes.append(note)
            sync.missing_permissions.append(error.required_scope or "users:notifications.read")

    def _record_seats(self, sync: SyncContext) -> None:
        """Today's seats per tier; a later sync the same day keeps the day's highest count."""
        if "users" not in sync.completed_steps and sync.connection.people_synced_at is None:
            return
        counts = sync.count("seat_counts")
        today = sync.now.date()
        seats = seats_by_tier(connection_id=sync.connection.pk)
        with transaction.atomic():
            stored = {
                row.tier_name: row
                for row in RemoteSeatCount.objects.select_for_update().filter(
                    connection=sync.connection, day=today
                )
            }
            for (tier_name, role_group), seat_count in sorted(seats.items()):
                counts.seen += 1
                row = stored.get(tier_name)
                if row is None:
                    RemoteSeatCount.objects.create(
                        organization_id=sync.connection.organization_id,
                        connection=sync.connection,
                        day=today,
                        tier_name=tier_name,
                        role_group=role_group,
                        seat_count=seat_count,
                        synced_at=sync.now,
                    )
                    counts.created += 1
                elif seat_count > row.seat_count:
                    row.seat_count = seat_count
                    row.synced_at = sync.now
                    row.save(update_fields=["seat_count", "synced_at"])
                    counts.updated += 1

    def _months_to_read(self, sync: SyncContext) -> list[date]:
        """Months of the backfill window not read since they were over: never read, read while
        they were still running (the current month always), or read less than a day after
        they ended (notifications arrive a little late). A month read after that is final."""
        current = month_start(sync.now)
        first = month_start(backfill_start(sync.now))
        read_at = dict(
            RemoteNotificationCount.objects.filter(connection=sync.connection, month__gte=first)
            .order_by()
            .values("month")
            .annotate(read_at=Min("synced_at"))
            .values_list("month", "read_at")
        )
        return [
            month
            for month in months_between(first, current)
            if month not in read_at
            or read_at[month]
            < datetime.combine(next_month(month), time.min, tzinfo=UTC) + MONTH_SETTLES_AFTER
        ]

    def _read_notifications(self, sync: SyncContext) -> None:
        counts = sync.count("notifications")
        for first, last in contiguous_runs(self._months_to_read(sync)):
            since = datetime.combine(first, time.min, tzinfo=UTC)
            until = min(
                datetime.combine(next_month(last), time.min, tzinfo=UTC),
                sync.read_until,
            )
            per_month: Counter[tuple[date, str]] = Counter()
            for page in sync.client.iter_notifications(since=since, until=until):
                for notification in page:
                    started_at = parse_pagerduty_datetime(notification.get("started_at"))
                    if started_at is None:
                        continue
                    month = month_start(started_at.astimezone(UTC))
                    per_month[(month, str(notification.get("type") or ""))] += 1
                    counts.seen += 1
                sync.page_done()
            self._store_month_counts(sync, months_between(first, last), per_month)

    def _store_month_counts(
        self, sync: SyncContext, months: list[date], per_month: Counter[tuple[date, str]]
    ) -> None:
        """Replace the counts of the months read (every known type, zero included)."""
        types = sorted(set(NOTIFICATION_TYPES) | {kind for _, kind in per_month if kind})
        with transaction.atomic():
            RemoteNotificationCount.objects.filter(
                connection=sync.connection, month__in=months
            ).delete()
            RemoteNotificationCount.objects.bulk_create(
                RemoteNotificationCount(
                    organization_id=sync.connection.organization_id,
                    connection=sync.connection,
                    month=month,
                    notification_type=kind,
                    count=per_month.get((month, kind), 0),
                    synced_at=sync.now,
                )
                for month in months
                for kind in types
            )
