"""PagerDuty's timestamps: how to read them and how to send them.

REST resources carry ISO 8601 with ``Z`` or an offset; the analytics endpoints answer with naive
timestamps in the request's ``time_zone`` (always UTC here); ``since``/``until`` are sent at
whole seconds.
"""

from __future__ import annotations

from datetime import UTC, datetime


def parse_pagerduty_datetime(value: str | None) -> datetime | None:
    """Parse a PagerDuty timestamp into an aware UTC datetime.

    REST resources use ISO 8601 with ``Z`` or an offset (``2013-03-06T15:28:51-05:00``);
    the analytics endpoints return naive timestamps in the request's ``time_zone``, which this
    client always sets to UTC, so naive values are read as UTC. Empty values give None.
    """
    if not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_pagerduty_datetime(value: datetime) -> str:
    """Render an aware datetime as PagerDuty expects it: ISO 8601 UTC, whole seconds, ``Z``.

    Naive datetimes are refused: PagerDuty would read them in the account's time zone.
    """
    if value.tzinfo is None:
        raise ValueError("PagerDuty datetimes must be timezone-aware (UTC)")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_to_second(value: datetime) -> datetime:
    """The aware UTC datetime at whole seconds, as ``since``/``until`` windows are sent."""
    if value.tzinfo is None:
        raise ValueError("PagerDuty datetimes must be timezone-aware (UTC)")
    return value.astimezone(UTC).replace(microsecond=0)
