"""PagerDuty timestamps: read as aware UTC, sent as ISO 8601 UTC with ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from integrations.pagerduty.datetimes import format_pagerduty_datetime, parse_pagerduty_datetime


def test_parse_pagerduty_datetime_returns_aware_utc() -> None:
    assert parse_pagerduty_datetime("2015-10-06T21:30:42Z") == datetime(
        2015, 10, 6, 21, 30, 42, tzinfo=UTC
    )
    parsed = parse_pagerduty_datetime("2013-03-06T15:28:51-05:00")
    assert parsed == datetime(2013, 3, 6, 20, 28, 51, tzinfo=UTC)
    assert parsed is not None and parsed.tzinfo == UTC
    assert parse_pagerduty_datetime("2025-03-04T09:30:51") == datetime(
        2025, 3, 4, 9, 30, 51, tzinfo=UTC
    )
    assert parse_pagerduty_datetime(None) is None
    assert parse_pagerduty_datetime("") is None


def test_format_pagerduty_datetime_is_utc_z_and_refuses_naive() -> None:
    plus_two = timezone(timedelta(hours=2))
    assert format_pagerduty_datetime(datetime(2026, 1, 1, 2, 0, tzinfo=plus_two)) == (
        "2026-01-01T00:00:00Z"
    )
    with pytest.raises(ValueError):
        format_pagerduty_datetime(datetime(2026, 1, 1))
