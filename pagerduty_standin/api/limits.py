"""PagerDuty's limits, as strict as PagerDuty is: classic pagination with its 100-item page cap
and 10,000 offset ceiling, the one-month default and six-month maximum incident range, and
per-credential rate limits counted in fixed one-minute windows.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from pagerduty_standin.account.formats import add_months
from pagerduty_standin.api.protocol import (
    ApiError,
    Request,
    Response,
    arguments_error,
    integer_parameter,
    invalid_date_range,
    invalid_input,
    json_response,
)

DEFAULT_PAGE_LIMIT = 25
MAX_PAGE_LIMIT = 100
PAGINATION_CEILING = 10_000
DEFAULT_INCIDENT_RANGE_MONTHS = 1
MAX_INCIDENT_RANGE_MONTHS = 6
RATE_LIMIT_WINDOW_SECONDS = 60

# -- classic pagination ----------------------------------------------------------------------


def page_parameters(request: Request) -> tuple[int, int]:
    """`offset` and `limit` with PagerDuty's default, cap and 10,000 ceiling."""
    limit = integer_parameter(request.one("limit"), "limit", DEFAULT_PAGE_LIMIT)
    offset = integer_parameter(request.one("offset"), "offset", 0)
    limit = min(max(limit, 1), MAX_PAGE_LIMIT)
    offset = max(offset, 0)
    if offset + limit > PAGINATION_CEILING:
        raise arguments_error(
            f"Offset+limit exceeds maximum allowed value of {PAGINATION_CEILING}. Please try "
            "to refine your search to reduce the returned set of records below this number, "
            "like adding a date range."
        )
    return offset, limit


def page_response(
    request: Request,
    collection: str,
    rendered: list[dict[str, Any]],
    *,
    offset: int,
    limit: int,
    total: int,
) -> Response:
    """One classic page: `more` says whether items remain; `total` only with `total=true`."""
    return json_response(
        {
            collection: rendered,
            "limit": limit,
            "offset": offset,
            "more": offset + limit < total,
            "total": total if request.flag("total") else None,
        }
    )


def paginate(
    request: Request,
    collection: str,
    items: Sequence[Any],
    render: Callable[[Any], dict[str, Any]],
    *,
    lock: AbstractContextManager[Any],
) -> Response:
    """Render the requested page of `items` (under the account's lock)."""
    offset, limit = page_parameters(request)
    with lock:
        rendered = [render(item) for item in items[offset : offset + limit]]
        total = len(items)
    return page_response(request, collection, rendered, offset=offset, limit=limit, total=total)


# -- time windows ----------------------------------------------------------------------------


def parse_time(text: str, zone: tzinfo, name: str) -> datetime:
    """An ISO 8601 `since`/`until`; without an offset it is read in `zone`."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise ApiError(
            400,
            "Invalid time values in 'since' and/or 'until' parameters",
            2004,
            [f"{name} is not a valid ISO 8601 date/time: {text!r}"],
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def incident_window(
    request: Request, *, zone: tzinfo, now_epoch: float
) -> tuple[int | None, int | None]:
    """`GET /incidents`' [since, until) in epoch seconds: one month by default, six at most."""
    if request.one("date_range") == "all":
        return None, None
    since_text, until_text = request.one("since"), request.one("until")
    now = datetime.fromtimestamp(now_epoch, tz=UTC)
    until = parse_time(until_text, zone, "until") if until_text else None
    since = parse_time(since_text, zone, "since") if since_text else None
    if since is None and until is None:
        until = now + timedelta(seconds=1)
        since = add_months(now, -DEFAULT_INCIDENT_RANGE_MONTHS)
    elif until is None:
        until = now + timedelta(seconds=1)
    elif since is None:
        since = add_months(until, -DEFAULT_INCIDENT_RANGE_MONTHS)
    if since > until:
        raise invalid_date_range("since must be before until.")
    if add_months(since, MAX_INCIDENT_RANGE_MONTHS) < until:
        raise invalid_input(
            "The date range between since and until is over the maximum of 6 months; "
            "use date_range=all or a smaller window."
        )
    return math.floor(since.timestamp()), math.ceil(until.timestamp())


def optional_window(request: Request, *, zone: tzinfo) -> tuple[int | None, int | None]:
    """`since`/`until` of the log entry endpoints: either may be left out, no range limit."""
    since_text, until_text = request.one("since"), request.one("until")
    since = parse_time(since_text, zone, "since") if since_text else None
    until = parse_time(until_text, zone, "until") if until_text else None
    if since is not None and until is not None and since > until:
        raise invalid_date_range("since must be before until.")
    return (
        math.floor(since.timestamp()) if since else None,
        math.ceil(until.timestamp()) if until else None,
    )


# -- rate limits -----------------------------------------------------------------------------


@dataclass
class RateDecision:
    """One request's place in its window, and the `ratelimit-*` headers PagerDuty sends."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("ratelimit-limit", str(self.limit)),
            ("ratelimit-remaining", str(self.remaining)),
            ("ratelimit-reset", str(self.reset_seconds)),
        ]


class RateLimiter:
    """Fixed one-minute windows per credential, as PagerDuty counts them."""

    def __init__(self) -> None:
        self._windows: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def take(self, identity: str, limit_per_minute: int) -> RateDecision:
        """Count one request for `identity`; a limit of 0 or less means no limit."""
        if limit_per_minute <= 0:
            return RateDecision(True, 0, 0, 0)
        now = time.monotonic()
        with self._lock:
            window = self._windows.get(identity)
            if window is None or now >= window[0] + RATE_LIMIT_WINDOW_SECONDS:
                window = self._windows[identity] = [now, 0]
            reset_seconds = max(1, math.ceil(window[0] + RATE_LIMIT_WINDOW_SECONDS - now))
            if window[1] >= limit_per_minute:
                return RateDecision(False, limit_per_minute, 0, reset_seconds)
            window[1] += 1
            return RateDecision(
                True, limit_per_minute, int(limit_per_minute - window[1]), reset_seconds
            )
