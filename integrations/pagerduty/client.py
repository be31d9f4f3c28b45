"""The single place that talks to PagerDuty's REST API v2.

Pure Python + requests (no Django) so it can be unit-tested with ``responses`` and reused by
tasks, management commands and benchmarks alike. Callers pass settings in; the client never
reads them itself.

What this module handles for callers:

* PagerDuty's error statuses become the typed exceptions of ``errors``; how each request is
  authorized (API key or OAuth token, refreshed once after a 401) is the ``auth`` module's job.
* 429 ``Rate Limit Exceeded`` (honouring ``ratelimit-reset``), 408 and 5xx are retried with
  exponential backoff and jitter; every attempt first asks the shared per-account budget.
* Classic offset pagination with its hard ceiling (``offset + limit`` may not exceed 10,000).
* Incident and log-entry listings, whose ``since``/``until`` range may span at most six months and
  whose result sets can exceed the ceiling, are read in half-open time windows that are split in
  two while they hold more than 9,900 items.
* With ``max_in_flight`` above 1, pages whose offsets are known (the first page asked with
  ``total=true``) and the next windows' first pages are fetched concurrently by a bounded
  ``RequestPool``; pages are still yielded in order, and the budget paces every attempt.
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests

from integrations.pagerduty.auth import Authorizer
from integrations.pagerduty.budget import RequestBudget
from integrations.pagerduty.concurrency import RequestPool, ordered_results
from integrations.pagerduty.datetimes import floor_to_second, format_pagerduty_datetime
from integrations.pagerduty.errors import (
    PagerDutyMalformedResponse,
    PagerDutyPaginationCeilingError,
)
from integrations.pagerduty.transport import (
    PagerDutyTransport,
    Params,
    ParamValue,
    path_template,
)

logger = logging.getLogger(__name__)


# Classic pagination: PagerDuty answers 400 (code 2002) when offset + limit > 10,000.
PAGINATION_CEILING = 10_000
MAX_PAGE_LIMIT = 100
# A time window is split in two while PagerDuty reports more than this many items in it.
WINDOW_SPLIT_THRESHOLD = 9_900
# GET /incidents accepts a since/until range of at most six months; 179 days is below every
# six-month span, whatever the calendar.
MAX_INCIDENT_WINDOW = timedelta(days=179)
# GET /notifications refuses a since/until range of three months or more; 88 days is under
# every three-month span (February to May is 89 days).
MAX_NOTIFICATION_WINDOW = timedelta(days=88)
# GET /audit/records accepts at most 31 days between since and until.
MAX_AUDIT_WINDOW = timedelta(days=30)
# POST /analytics/raw/users pages with a cursor; 1,000 is both the default and the maximum.
MAX_ANALYTICS_PAGE_LIMIT = 1_000
# Windows whose first page is asked ahead of the one being read (their totals decide splits).
WINDOW_LOOKAHEAD = 2


@dataclass(frozen=True)
class _TimeWindow:
    since: datetime
    until: datetime


class PagerDutyClient(PagerDutyTransport):
    """HTTP access to one PagerDuty account's REST API, with retries, budget and counting.

    ``request_count`` and ``requests_by_path`` count every HTTP attempt (retries included) so
    benchmarks can compare a sync's cost with the minimum; ``slept_seconds`` adds up the time
    spent backing off.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth: Authorizer,
        budget: RequestBudget | None = None,
        budget_key: str = "",
        connect_timeout_seconds: float = 5.0,
        read_timeout_seconds: float = 30.0,
        max_retries: int = 6,
        backoff_base_seconds: float = 1.0,
        backoff_max_seconds: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        page_limit: int = 100,
        random_source: random.Random | None = None,
        max_in_flight: int = 1,
        on_thread_exit: Callable[[], None] | None = None,
        monotonic_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= page_limit <= MAX_PAGE_LIMIT:
            raise ValueError(f"page_limit must be between 1 and {MAX_PAGE_LIMIT}")
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._budget = budget
        self._budget_key = budget_key
        self._timeout_seconds = (connect_timeout_seconds, read_timeout_seconds)
        self._max_retries = max_retries
        self._backoff_base_seconds = backoff_base_seconds
        self._backoff_max_seconds = backoff_max_seconds
        self._sleep = sleep
        self._shared_session = session
        self._thread_sessions = threading.local()
        self.page_limit = page_limit
        self._random = random_source or random.Random()
        self.request_count = 0
        self.requests_by_path: collections.Counter[str] = collections.Counter()
        self.slept_seconds = 0.0
        self.max_in_flight = max_in_flight
        self._pool = (
            RequestPool(max_in_flight, on_thread_exit=on_thread_exit) if max_in_flight > 1 else None
        )
        self._counter_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        # After a 429 with ``ratelimit-reset``, every thread waits until this monotonic time.
        self._paused_until = 0.0
        self._monotonic_clock = monotonic_clock

    def __repr__(self) -> str:
        return f"PagerDutyClient(base_url={self.base_url!r}, budget_key={self._budget_key!r})"

    def close(self) -> None:
        """Stop the request threads (if any were started); the client stays usable, serially."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def map_in_order(
        self, function: Callable[[Any], Any], arguments: Iterable[Any]
    ) -> Iterator[Any]:
        """Yield ``function(argument)`` for each argument, in order, up to ``max_in_flight``
        running at once (e.g. one request per incident for its custom fields)."""
        calls = (lambda argument=argument: function(argument) for argument in arguments)
        yield from ordered_results(self._pool, calls, ahead=self._ahead)

    @property
    def _ahead(self) -> int:
        """Results fetched ahead of the consumer: enough to keep every thread busy."""
        return self.max_in_flight * 2

    # -- generic verbs ------------------------------------------------------------------------

    def get(self, path: str, params: Params | None = None) -> dict[str, Any]:
        """GET a path relative to ``base_url`` and return the decoded JSON object."""
        return self._request("GET", path, params=params)

    def post(self, path: str, json_body: Mapping[str, Any]) -> dict[str, Any]:
        """POST a JSON body and return the decoded JSON object.

        Only PagerDuty's analytics endpoints are POSTed to here, and they only read, so retrying
        a POST after a 5xx or timeout is safe.
        """
        return self._request("POST", path, json_body=json_body)

    def iter_pages(
        self, path: str, *, collection: str, params: Params | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the pages of a classic-paginated listing until PagerDuty says ``more: false``.

        List values in ``params`` (``statuses[]``, ``include[]``) are sent as repeated keys.
        Never sends ``offset + limit > 10000`` (PagerDuty's 400 "Offset+limit exceeds maximum");
        a listing that would need it raises ``PagerDutyPaginationCeilingError`` instead.
        """
        params = params or {}
        first_page = None
        if self._pool is not None:
            # The total lets the remaining pages be fetched concurrently.
            first_page = self.get(
                path, {**params, "limit": self.page_limit, "offset": 0, "total": True}
            )
        yield from self._paginate(path, collection=collection, params=params, first_page=first_page)

    # -- windowed listings -------------------------------------------------------------------

    def iter_incident_pages(
        self, *, since: datetime, until: datetime, params: Params | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of incidents *created* in ``[since, until)``, oldest windows first.

        PagerDuty's ``since``/``until`` filter on creation time and accept at most six months,
        so the range is cut into windows of at most 179 days; any window holding more than
        9,900 incidents (asked once with ``total=true``) is split at its midpoint, so the
        10,000 offset ceiling is never hit. See ``_iter_windowed_pages`` for the boundaries.
        """
        request_params: dict[str, ParamValue] = {"sort_by": "created_at:asc", "time_zone": "UTC"}
        request_params.update(params or {})
        yield from self._iter_windowed_pages(
            "/incidents", collection="incidents", since=since, until=until, params=request_params
        )

    def iter_log_entries(
        self, *, since: datetime, until: datetime, params: Params | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield account-wide log entries created in ``[since, until)``, oldest windows first.

        ``GET /log_entries`` has the same classic-pagination ceiling as incidents, so it is read
        with the same windowing (179-day windows, split while over 9,900 entries).
        """
        request_params: dict[str, ParamValue] = {"time_zone": "UTC"}
        request_params.update(params or {})
        for page in self._iter_windowed_pages(
            "/log_entries",
            collection="log_entries",
            since=since,
            until=until,
            params=request_params,
        ):
            yield from page

    def iter_notifications(
        self, *, since: datetime, until: datetime, params: Params | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of notifications sent in ``[since, until)``, oldest windows first.

        ``GET /notifications`` (scope ``users:notifications.read``) accepts a range under three
        months, so the range is cut into windows of at most 88 days; each is then read like the
        incidents (split at its midpoint while ``total`` is above 9,900, under the 10,000
        offset ceiling). ``params`` may carry ``filter`` (one notification type).
        """
        request_params: dict[str, ParamValue] = {"time_zone": "UTC"}
        request_params.update(params or {})
        yield from self._iter_windowed_pages(
            "/notifications",
            collection="notifications",
            since=since,
            until=until,
            params=request_params,
            max_window=MAX_NOTIFICATION_WINDOW,
        )

    # -- convenience endpoints ----------------------------------------------------------------

    def list_licenses(self) -> list[dict[str, Any]]:
        """License tiers with counts; ``GET /licenses`` is not paginated (per the spec)."""
        return self._get_collection("/licenses", "licenses")

    def iter_license_allocations(self) -> Iterator[dict[str, Any]]:
        """Yield which user holds which license (``GET /license_allocations``, paginated)."""
        for page in self._paginate(
            "/license_allocations", collection="license_allocations", params={}
        ):
            yield from page

    def list_incident_custom_field_values(self, incident_id: str) -> list[dict[str, Any]]:
        """Custom field values of one incident; PagerDuty returns them under ``custom_fields``."""
        return self._get_collection(
            f"/incidents/{incident_id}/custom_fields/values", "custom_fields"
        )

    def get_incident(self, incident_id: str) -> dict[str, Any]:
        """One incident, e.g. to re-read an incident still open locally (``since`` filters on
        creation, so listings never show an old incident being resolved)."""
        return self._get_object(f"/incidents/{incident_id}", "incident")

    def iter_analytics_raw_users(
        self,
        *,
        filters: Mapping[str, Any] | None = None,
        page_limit: int = MAX_ANALYTICS_PAGE_LIMIT,
    ) -> Iterator[dict[str, Any]]:
        """Yield per-user analytics rows (``last_sign_in_at``, ``signed_up``, ...).

        ``POST /analytics/raw/users`` pages with a cursor: each request body carries
        ``starting_after`` set to the previous response's ``last``, until ``more`` is false.
        Timestamps come back naive in the requested ``time_zone``, which we pin to UTC. The data
        lags up to 24 hours behind PagerDuty.
        """
        if not 1 <= page_limit <= MAX_ANALYTICS_PAGE_LIMIT:
            raise ValueError(f"page_limit must be between 1 and {MAX_ANALYTICS_PAGE_LIMIT}")
        path = "/analytics/raw/users"
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {"limit": page_limit, "time_zone": "Etc/UTC"}
            if filters:
                body["filters"] = dict(filters)
            if cursor is not None:
                body["starting_after"] = cursor
            response = self.post(path, body)
            rows = response.get("data")
            if not isinstance(rows, list):
                raise PagerDutyMalformedResponse(
                    f"PagerDuty's answer to POST {path} had no 'data' list."
                )
            yield from rows
            if not response.get("more") or not rows:
                return
            next_cursor = response.get("last")
            if not isinstance(next_cursor, str) or not next_cursor or next_cursor == cursor:
                raise PagerDutyMalformedResponse(
                    f"PagerDuty's answer to POST {path} said there is more data but gave no "
                    "new 'last' cursor to continue from."
                )
            cursor = next_cursor

    def iter_audit_records(
        self, *, since: datetime, until: datetime, params: Params | None = None
    ) -> Iterator[dict[str, Any]]:
        """Yield audit records from ``GET /audit/records`` in ``[since, until)``.

        PagerDuty pages audit records with a cursor (``next_cursor``, null on the last page),
        and accepts at most 31 days between ``since`` and ``until``, so longer ranges are read
        in 30-day windows. Needs ``audit_records.read`` and a plan with Audit Trail (403/402
        otherwise).
        """
        path = "/audit/records"
        window_start = floor_to_second(since)
        end = floor_to_second(until)
        while window_start < end:
            window_end = min(end, window_start + MAX_AUDIT_WINDOW)
            cursor: str | None = None
            while True:
                page_params: dict[str, ParamValue] = {
                    **(params or {}),
                    "since": format_pagerduty_datetime(window_start),
                    "until": format_pagerduty_datetime(window_end),
                    "limit": MAX_PAGE_LIMIT,
                }
                if cursor:
                    page_params["cursor"] = cursor
                body = self.get(path, page_params)
                yield from self._items_from(body, "records", path)
                next_cursor = body.get("next_cursor")
                if not next_cursor or next_cursor == cursor:
                    break
                cursor = str(next_cursor)
            window_start = window_end

    # -- internals: listings -------------------------------------------------------------------

    def _get_collection(self, path: str, collection: str) -> list[dict[str, Any]]:
        body = self.get(path)
        return self._items_from(body, collection, path)

    def _get_object(self, path: str, key: str) -> dict[str, Any]:
        body = self.get(path)
        value = body.get(key)
        if not isinstance(value, dict):
            raise PagerDutyMalformedResponse(
                f"PagerDuty's answer to GET {path_template(path)} had no '{key}' object."
            )
        return value

    @staticmethod
    def _items_from(body: Mapping[str, Any], collection: str, path: str) -> list[dict[str, Any]]:
        items = body.get(collection)
        if not isinstance(items, list):
            raise PagerDutyMalformedResponse(
                f"PagerDuty's answer to GET {path_template(path)} had no '{collection}' list."
            )
        return items

    def _paginate(
        self,
        path: str,
        *,
        collection: str,
        params: Params,
        first_page: Mapping[str, Any] | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Classic offset pagination; ``first_page`` (already fetched at offset 0) is reused.

        When that first page carries ``total`` and requests may run concurrently, the remaining
        offsets are known, so they are fetched ahead, in order. A page shorter than asked while
        PagerDuty says ``more`` (the listing moved meanwhile) drops what was fetched ahead and
        continues one page at a time from the right offset; a listing that grew past its total
        continues the same way.
        """
        offset = 0
        body = first_page
        if body is not None and self._pool is not None:
            items = self._items_from(body, collection, path)
            if items:
                yield items
            if not self._has_more(body, items, path, collection):
                return
            offset = len(items)
            total = body.get("total")
            body = None
            if isinstance(total, int) and total > offset:
                offsets = range(offset, min(total, PAGINATION_CEILING), self.page_limit)
                calls = (
                    lambda page_offset=page_offset: self._page_at(path, params, page_offset)
                    for page_offset in offsets
                )
                pages = ordered_results(self._pool, calls, ahead=self._ahead)
                try:
                    for page_offset, limit, page_body in pages:
                        items = self._items_from(page_body, collection, path)
                        if items:
                            yield items
                        if not self._has_more(page_body, items, path, collection):
                            return
                        offset = page_offset + len(items)
                        if len(items) < limit:
                            break
                finally:
                    pages.close()
        while True:
            if body is None:
                offset, limit, body = self._page_at(path, params, offset)
            items = self._items_from(body, collection, path)
            if items:
                yield items
            if not self._has_more(body, items, path, collection):
                return
            offset += len(items)
            body = None

    def _page_at(self, path: str, params: Params, offset: int) -> tuple[int, int, dict[str, Any]]:
        """One page at ``offset``: (offset, limit asked, body); never past the 10,000 ceiling."""
        limit = min(self.page_limit, PAGINATION_CEILING - offset)
        if limit <= 0:
            raise PagerDutyPaginationCeilingError(
                f"GET {path_template(path)} has more than {PAGINATION_CEILING:,} results; "
                "PagerDuty's classic pagination cannot go further. Narrow the listing "
                "(time window or filters) before paging."
            )
        return offset, limit, self.get(path, {**params, "limit": limit, "offset": offset})

    @staticmethod
    def _has_more(
        body: Mapping[str, Any], items: list[dict[str, Any]], path: str, collection: str
    ) -> bool:
        if not body.get("more"):
            return False
        if not items:
            raise PagerDutyMalformedResponse(
                f"PagerDuty's answer to GET {path_template(path)} said 'more' but held no "
                f"{collection}."
            )
        return True

    def _iter_windowed_pages(
        self,
        path: str,
        *,
        collection: str,
        since: datetime,
        until: datetime,
        params: Params,
        max_window: timedelta = MAX_INCIDENT_WINDOW,
    ) -> Iterator[list[dict[str, Any]]]:
        """Page through a since/until listing in windows of at most ``max_window`` (the longest
        range the endpoint accepts) that fit PagerDuty's limits.

        Windows are half-open, ``[since, until)``, and adjacent windows share their boundary
        instant, so none overlap and none leave a gap. Neither PagerDuty's OpenAPI spec nor its
        developer docs say whether ``since``/``until`` are inclusive (developer-docs issue #74
        asks exactly this); we rely on the usual ``since`` inclusive / ``until`` exclusive and,
        in case ``until`` turned out inclusive, drop an item already yielded by the preceding
        window, so callers never see an incident twice. Datetimes are sent at whole seconds.

        The first page of each window is asked with ``total=true``: if the total is above
        9,900 the window is split at its midpoint (that page is the only extra request);
        otherwise the page is kept and paging continues from it.
        """
        range_start = floor_to_second(since)
        range_end = floor_to_second(until)
        windows: collections.deque[_TimeWindow] = collections.deque()
        window_start = range_start
        while window_start < range_end:
            window_end = min(window_start + max_window, range_end)
            windows.append(_TimeWindow(window_start, window_end))
            window_start = window_end

        def window_params(window: _TimeWindow) -> dict[str, ParamValue]:
            return {
                **params,
                "since": format_pagerduty_datetime(window.since),
                "until": format_pagerduty_datetime(window.until),
            }

        def ask_first_page(window: _TimeWindow) -> Future | dict[str, Any]:
            first_params = {**window_params(window), "limit": self.page_limit, "offset": 0}
            first_params["total"] = True
            if self._pool is None:
                return self.get(path, first_params)
            return self._pool.submit(self.get, path, first_params)

        # The next windows' first pages are asked while the current window is read: with
        # requests in flight concurrently, moving to the next window costs no round trip.
        first_pages: collections.deque[tuple[_TimeWindow, Future | dict[str, Any]]]
        first_pages = collections.deque()

        def ask_ahead() -> None:
            lookahead = WINDOW_LOOKAHEAD if self._pool is not None else 1
            while windows and len(first_pages) < lookahead:
                window = windows.popleft()
                first_pages.append((window, ask_first_page(window)))

        previous_window_ids: set[str] = set()
        try:
            while True:
                ask_ahead()
                if not first_pages:
                    return
                window, answer = first_pages.popleft()
                first_page = answer.result() if isinstance(answer, Future) else answer
                total = first_page.get("total")
                if isinstance(total, int) and total > WINDOW_SPLIT_THRESHOLD:
                    midpoint = floor_to_second(window.since + (window.until - window.since) / 2)
                    if midpoint <= window.since:
                        raise PagerDutyPaginationCeilingError(
                            f"PagerDuty reports {total:,} {collection} created within one "
                            f"second at {format_pagerduty_datetime(window.since)}; more than "
                            "classic pagination can read. Narrow the listing with filters."
                        )
                    logger.debug(
                        "Splitting %s window %s..%s (total %d)",
                        path,
                        window.since,
                        window.until,
                        total,
                    )
                    # The halves come before the windows already asked for (both asked at
                    # once when requests run concurrently).
                    for half in (
                        _TimeWindow(midpoint, window.until),
                        _TimeWindow(window.since, midpoint),
                    ):
                        if self._pool is None:
                            windows.appendleft(half)
                        else:
                            first_pages.appendleft((half, ask_first_page(half)))
                    continue
                if self._pool is not None:
                    ask_ahead()

                current_window_ids: set[str] = set()
                for page in self._paginate(
                    path,
                    collection=collection,
                    params=window_params(window),
                    first_page=first_page,
                ):
                    fresh_items = []
                    for item in page:
                        item_id = item.get("id")
                        if isinstance(item_id, str):
                            if item_id in previous_window_ids:
                                continue
                            current_window_ids.add(item_id)
                        fresh_items.append(item)
                    if fresh_items:
                        yield fresh_items
                previous_window_ids = current_window_ids
        finally:
            for _, asked in first_pages:
                if isinstance(asked, Future):
                    asked.cancel()
