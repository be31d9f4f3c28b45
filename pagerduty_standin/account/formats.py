"""How PagerDuty writes times, ids and cursors, and the calendar arithmetic its limits use."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime, tzinfo
from typing import Any

from pagerduty_standin.account.records import InvalidRequestError

SECONDS_PER_DAY = 86_400
BASE36_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BASE36_PAIRS = tuple(first + second for first in BASE36_DIGITS for second in BASE36_DIGITS)


def format_timestamp(epoch_seconds: int | float | None, zone: tzinfo | None = None) -> str | None:
    """Render a time as PagerDuty does: `Z` by default, a numeric offset in a requested zone."""
    if epoch_seconds is None:
        return None
    if zone is None:
        return datetime.fromtimestamp(int(epoch_seconds), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.fromtimestamp(int(epoch_seconds), tz=zone).isoformat(timespec="seconds")


def format_naive_timestamp(
    epoch_seconds: int | float | None, zone: tzinfo | None = None
) -> str | None:
    """Render a time without an offset, as the analytics endpoints do (in the request's zone)."""
    if epoch_seconds is None:
        return None
    moment = datetime.fromtimestamp(int(epoch_seconds), tz=zone or UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def add_months(moment: datetime, months: int) -> datetime:
    """Shift by calendar months, clamping the day (Mar 31 minus one month is Feb 28/29)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    days_in_month = (
        datetime(year + (month == 12), month % 12 + 1, 1) - datetime(year, month, 1)
    ).days
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month))


def to_base36(number: int, width: int) -> str:
    """Fixed-width upper-case base-36, used for compact decodable log entry ids."""
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 36)
        digits.append(BASE36_DIGITS[remainder])
    if number:
        raise ValueError("number does not fit the width")
    return "".join(reversed(digits))


def from_base36(text: str) -> int:
    """Inverse of `to_base36`."""
    return int(text, 36)


class IdFactory:
    """Hands out unique PagerDuty-looking ids (`P` + 6 characters) from a seeded stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def next_id(self, prefix: str = "P") -> str:
        while True:
            number = self.rng.getrandbits(31) % 36**6
            candidate = (
                prefix
                + BASE36_PAIRS[number // 1_679_616]
                + BASE36_PAIRS[number // 1296 % 1296]
                + BASE36_PAIRS[number % 1296]
            )
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate


def encode_cursor(payload: dict[str, Any]) -> str:
    """Opaque analytics cursor, shaped like PagerDuty's (base64 of a small JSON object)."""
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Inverse of `encode_cursor`; a cursor that does not decode is a 400."""
    try:
        payload = json.loads(base64.b64decode(cursor.encode(), validate=True))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequestError("starting_after is not a valid cursor") from error
    if not isinstance(payload, dict) or "id" not in payload:
        raise InvalidRequestError("starting_after is not a valid cursor")
    return payload
