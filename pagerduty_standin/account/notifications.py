"""Notifications sent for incidents (`GET /notifications`), derived from each incident on demand.

Each incident's `notification_types` were sent to its assignee 5 s after it was created, then
one a minute; the same facts give the incident's `notify_log_entry` entries, so the two agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from pagerduty_standin.account.formats import to_base36
from pagerduty_standin.account.records import Incident

# A notification goes out at most this long after its incident was created.
LATEST_NOTIFICATION_DELAY_SECONDS = 3600
NOTIFICATION_ID_PREFIX = "N"


@dataclass(frozen=True)
class NotificationRecord:
    """One notification: which incident, which of its notifications, when, what, to whom."""

    incident_index: int
    offset: int
    at: int
    type: str
    user_index: int

    @property
    def id(self) -> str:
        return (
            NOTIFICATION_ID_PREFIX + to_base36(self.incident_index, 6) + to_base36(self.offset, 2)
        )


def incident_notifications(incident: Incident) -> Iterator[NotificationRecord]:
    for offset, notification_type in enumerate(incident.notification_types):
        yield NotificationRecord(
            incident_index=incident.index,
            offset=offset,
            at=incident.created_at + 5 + 60 * offset,
            type=notification_type,
            user_index=incident.assignee_index,
        )


def notifications_in_window(
    incidents: list[Incident],
    window: tuple[int, int],
    *,
    types: frozenset[str] | None = None,
) -> list[NotificationRecord]:
    """Notifications sent in [since, until) (incident range given by `window` indices),
    oldest first."""
    low, high = window
    found = [
        record
        for incident in incidents[low:high]
        for record in incident_notifications(incident)
        if types is None or record.type in types
    ]
    found.sort(key=lambda record: (record.at, record.incident_index, record.offset))
    return found


def month_of(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m")


def notification_totals(incidents: list[Incident]) -> dict[str, dict[str, int]]:
    """Known totals for tests: per UTC month ("YYYY-MM"), per notification type."""
    totals: dict[str, dict[str, int]] = {}
    for incident in incidents:
        for record in incident_notifications(incident):
            month = totals.setdefault(month_of(record.at), {})
            month[record.type] = month.get(record.type, 0) + 1
    return dict(sorted(totals.items()))
