"""The single place that talks to PagerDuty's REST API v2.

Pure Python + requests (no Django) so it can be unit-tested with ``responses`` and reused by
tasks, management commands and benchmarks alike. Callers pass settings in; the client never
reads them itself.

What this module handles for callers:

* PagerDuty's error statuses become typed exceptions (``PagerDutyUnauthorized`` means "reconnect",
  ``PagerDutyForbidden`` means "missing scope", ``PagerDutyTransientError`` means "try later").
* 429 ``Rate Limit Exceeded`` (honouring ``ratelimit-reset``), 408 and 5xx are retried with
  exponential backoff and jitter; every attempt first asks the shared per-account budget.
* Classic offset pagination with its hard ceiling (``offset + limit`` may not exceed 10,000).
* Incident and log-entry listings, whose ``since``/``until`` range may span at most six months and
  whose result sets can exceed the ceiling, are read in half-open time windows that are split in
  two while they hold more than 9,900 items.
"""

from __future__ import annotations

import calendar
import collections
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import requests

from integrations.pagerduty.budget import RequestBudget

logger = logging.getLogger(__name__)

ACCEPT_HEADER = "application/vnd.pagerduty+json;version=2"
USER_AGENT = "sprintolike/1"

# Classic pagination: PagerDuty answers 400 (code 2002) when offset + limit > 10,000.
PAGINATION_CEILING = 10_000
MAX_PAGE_LIMIT = 100
# A time window is split in two while PagerDuty reports more than this many items in it.
WINDOW_SPLIT_THRESHOLD = 9_900
# GET /incidents accepts a since/until range of at most six months; 179 days is below every
# six-month span, whatever the calendar.
MAX_INCIDENT_WINDOW = timedelta(days=179)
# POST /analytics/raw/users pages with a cursor; 1,000 is both the default and the maximum.
MAX_ANALYTICS_PAGE_LIMIT = 1_000
# POST /analytics/metrics/incidents/all accepts created_at ranges of at most one year.
MAX_METRICS_RANGE_DAYS = 365
# A 2xx whose body is not JSON is retried this many times (a truncated body from a proxy can be
# transient; a stand-in or endpoint that always answers non-JSON is not, so we stop quickly).
MALFORMED_BODY_RETRIES = 1
TRANSIENT_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})
RATE_LIMIT_RESET_JITTER_SECONDS = 1.0

# Which Scoped OAuth scope each endpoint needs (``x-pd-requires-scope`` in PagerDuty's OpenAPI
# spec), so a 403 can tell the user what to grant.
ENDPOINT_SCOPES: dict[str, str] = {
    "/users": "users.read",
    "/services": "services.read",
    "/priorities": "priorities.read",
    "/incidents": "incidents.read",
    "/incidents/{id}": "incidents.read",
    "/incidents/{id}/notes": "incidents.read",
    "/incidents/{id}/log_entries": "incidents.read",
    "/incidents/{id}/custom_fields/values": "incidents.read",
    "/log_entries": "incidents.read",
    "/licenses": "licenses.read",
    "/license_allocations": "licenses.read",
    "/abilities": "abilities.read",
    "/analytics/raw/users": "analytics.write",
    "/analytics/metrics/incidents/all": "analytics.write",
}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class PagerDutyError(Exception):
    """Base for every failure talking to PagerDuty; ``message`` is safe to show to users."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_code: int | None = None,
        errors: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.error_code = error_code
        self.errors: tuple[str, ...] = tuple(errors)

    def __str__(self) -> str:
        return self.message


class PagerDutyUnauthorized(PagerDutyError):
    """401: the token or API key is expired, revoked or invalid; reconnect the account."""


class PagerDutyForbidden(PagerDutyError):
    """403: the token lacks the OAuth scope, or the user lacks the permission, for this endpoint."""

    def __init__(self, message: str, *, required_scope: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.required_scope = required_scope


class PagerDutyPaymentRequired(PagerDutyError):
    """402: the account's plan lacks an ability this endpoint needs (see GET /abilities)."""


class PagerDutyBadRequest(PagerDutyError):
    """400: PagerDuty rejected the arguments; ``errors`` holds PagerDuty's details."""


class PagerDutyPaginationCeilingError(PagerDutyBadRequest):
    """More results than classic pagination can reach (offset + limit may not exceed 10,000).

    Raised before sending such a request: reaching it means a listing was not narrowed enough,
    which is a programming error rather than something a retry can fix.
    """


class PagerDutyNotFound(PagerDutyError):
    """404: the object does not exist (or is no longer visible to this token)."""


class PagerDutyTransientError(PagerDutyError):
    """429, 408, 5xx, connection errors or timeouts that persisted through every retry."""


class PagerDutyMalformedResponse(PagerDutyError):
    """A 2xx whose body is not JSON or lacks the expected collection key."""


# --------------------------------------------------------------------------------------------
# Authorization
# --------------------------------------------------------------------------------------------


class Authorizer(Protocol):
    """Supplies the Authorization header and, on a 401, may obtain a fresh token once."""

    def authorization_header(self) -> str:
        """Return the full value of the Authorization header."""
        ...

    def refresh(self) -> bool:
        """Try to obtain a new token after a 401; True means "retry the request once"."""
        ...


class ApiKeyAuthorizer:
    """A REST API key (``Authorization: Token token=<key>``); API keys cannot be refreshed."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def authorization_header(self) -> str:
        """PagerDuty's API-key scheme."""
        return f"Token token={self._api_key}"

    def refresh(self) -> bool:
        """An invalid or revoked API key stays invalid: the caller must ask for a new key."""
        return False

    def __repr__(self) -> str:
        return "ApiKeyAuthorizer(api_key=***)"


class BearerAuthorizer:
    """An OAuth access token (``Authorization: Bearer <token>``).

    Scoped OAuth access tokens live one day, so a 401 usually means "expired": the optional
    ``refresh_callback`` exchanges the stored refresh token (storing PagerDuty's rotated refresh
    token atomically is the callback's job) and returns the new access token, or None when the
    refresh token itself is no longer accepted.
    """

    def __init__(
        self,
        access_token: str,
        refresh_callback: Callable[[], str | None] | None = None,
    ) -> None:
        self._access_token = access_token
        self._refresh_callback = refresh_callback

    def authorization_header(self) -> str:
        """OAuth bearer scheme."""
        return f"Bearer {self._access_token}"

    def refresh(self) -> bool:
        """Ask the callback for a new access token; False when there is none."""
        if self._refresh_callback is None:
            return False
        new_access_token = self._refresh_callback()
        if not new_access_token:
            return False
        self._access_token = new_access_token
        return True

    def __repr__(self) -> str:
        return "BearerAuthorizer(access_token=***)"


# --------------------------------------------------------------------------------------------
# Datetimes
# --------------------------------------------------------------------------------------------


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


def _floor_to_second(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("PagerDuty datetimes must be timezone-aware (UTC)")
    return value.astimezone(UTC).replace(microsecond=0)


def _add_months(value: datetime, months: int) -> datetime:
    month_index = value.month - 1 + months
    year = value.year + month_index // 12
    month = month_index % 12 + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


_STATIC_PATH_SEGMENT = re.compile(r"[a-z_]+")


def path_template(path: str) -> str:
    """Replace object ids in a REST path with ``{id}`` (``/incidents/PT4KHLK/notes`` →
    ``/incidents/{id}/notes``).

    PagerDuty's path words are lower-case with underscores while its ids contain capitals or
    digits, so any other segment is an id.
    """
    segments = path.split("?", 1)[0].strip("/").split("/")
    normalised = [
        segment if _STATIC_PATH_SEGMENT.fullmatch(segment) else "{id}" for segment in segments
    ]
    return "/" + "/".join(normalised)


@dataclass(frozen=True)
class _TimeWindow:
    since: datetime
    until: datetime


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------

ParamValue = str | int | float | bool | datetime | Sequence[str | int] | None
Params = Mapping[str, ParamValue]


class PagerDutyClient:
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
        self._session = session or requests.Session()
        self.page_limit = page_limit
        self._random = random_source or random.Random()
        self.request_count = 0
        self.requests_by_path: collections.Counter[str] = collections.Counter()
        self.slept_seconds = 0.0

    def __repr__(self) -> str:
        return f"PagerDutyClient(base_url={self.base_url!r}, budget_key={self._budget_key!r})"

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
        yield from self._paginate(path, collection=collection, params=params or {})

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

    # -- convenience endpoints ----------------------------------------------------------------

    def list_services(self, include_integrations: bool = True) -> list[dict[str, Any]]:
        """All services; with integrations so email integrations (``integration_email``) show."""
        params: dict[str, ParamValue] = {}
        if include_integrations:
            params["include[]"] = ["integrations"]
        return self._collect("/services", collection="services", params=params)

    def list_priorities(self) -> list[dict[str, Any]]:
        """Priorities, in PagerDuty's order (most to least severe)."""
        return self._collect("/priorities", collection="priorities", params={})

    def list_users(self) -> list[dict[str, Any]]:
        """All users including invited ones (``invitation_sent``), with their teams."""
        return self._collect("/users", collection="users", params={"include[]": ["teams"]})

    def list_licenses(self) -> list[dict[str, Any]]:
        """License tiers with counts; ``GET /licenses`` is not paginated (per the spec)."""
        return self._get_collection("/licenses", "licenses")

    def iter_license_allocations(self) -> Iterator[dict[str, Any]]:
        """Yield which user holds which license (``GET /license_allocations``, paginated)."""
        for page in self._paginate(
            "/license_allocations", collection="license_allocations", params={}
        ):
            yield from page

    def list_incident_notes(self, incident_id: str) -> list[dict[str, Any]]:
        """Notes on one incident (not paginated)."""
        return self._get_collection(f"/incidents/{incident_id}/notes", "notes")

    def list_incident_custom_field_values(self, incident_id: str) -> list[dict[str, Any]]:
        """Custom field values of one incident; PagerDuty returns them under ``custom_fields``."""
        return self._get_collection(
            f"/incidents/{incident_id}/custom_fields/values", "custom_fields"
        )

    def get_incident(self, incident_id: str) -> dict[str, Any]:
        """One incident, e.g. to re-read an incident still open locally (``since`` filters on
        creation, so listings never show an old incident being resolved)."""
        return self._get_object(f"/incidents/{incident_id}", "incident")

    def users_me(self) -> dict[str, Any]:
        """The user who authorized an OAuth token (account API keys have no user: error)."""
        return self._get_object("/users/me", "user")

    def list_abilities(self) -> list[str]:
        """The account's plan features (``GET /abilities``, not paginated)."""
        body = self.get("/abilities")
        abilities = body.get("abilities")
        if not isinstance(abilities, list):
            raise PagerDutyMalformedResponse(
                "PagerDuty's answer to GET /abilities had no 'abilities' list."
            )
        return [str(ability) for ability in abilities]

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

    def incident_metrics_by_month(
        self,
        *,
        start: datetime,
        end: datetime,
        service_ids: Sequence[str] | None,
        filters: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Monthly incident aggregates for incidents created in ``[start, end)``.

        ``POST /analytics/metrics/incidents/all`` with ``aggregate_unit: "month"``. PagerDuty
        accepts at most one year per request (``created_at_end`` is exclusive), so longer ranges
        are cut into pieces of 12 calendar months (11 when 12 would exceed 365 days); pass
        month-aligned bounds so no month is split across pieces. OAuth and user tokens must
        pass ``service_ids`` (or team_ids); ``None`` omits the filter (account API keys), an
        empty list means "no services" and returns nothing without a request. The spec sets no
        limit on the number of service ids, so they are sent in one request (chunking would
        make means and percentiles impossible to combine).
        """
        if service_ids is not None and len(service_ids) == 0:
            return []
        path = "/analytics/metrics/incidents/all"
        rows: list[dict[str, Any]] = []
        piece_start = _floor_to_second(start)
        range_end = _floor_to_second(end)
        while piece_start < range_end:
            piece_end = _add_months(piece_start, 12)
            if piece_end - piece_start > timedelta(days=MAX_METRICS_RANGE_DAYS):
                piece_end = _add_months(piece_start, 11)
            piece_end = min(piece_end, range_end)
            request_filters: dict[str, Any] = dict(filters or {})
            request_filters["created_at_start"] = format_pagerduty_datetime(piece_start)
            request_filters["created_at_end"] = format_pagerduty_datetime(piece_end)
            if service_ids is not None:
                request_filters["service_ids"] = list(service_ids)
            response = self.post(
                path,
                {
                    "filters": request_filters,
                    "aggregate_unit": "month",
                    "time_zone": "Etc/UTC",
                },
            )
            data = response.get("data")
            if not isinstance(data, list):
                raise PagerDutyMalformedResponse(
                    f"PagerDuty's answer to POST {path} had no 'data' list."
                )
            rows.extend(data)
            piece_start = piece_end
        return rows

    # -- internals: listings -------------------------------------------------------------------

    def _collect(self, path: str, *, collection: str, params: Params) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in self._paginate(path, collection=collection, params=params):
            items.extend(page)
        return items

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
        """Classic offset pagination; ``first_page`` (already fetched at offset 0) is reused."""
        offset = 0
        body = first_page
        while True:
            if body is None:
                limit = min(self.page_limit, PAGINATION_CEILING - offset)
                if limit <= 0:
                    raise PagerDutyPaginationCeilingError(
                        f"GET {path_template(path)} has more than {PAGINATION_CEILING:,} results; "
                        "PagerDuty's classic pagination cannot go further. Narrow the listing "
                        "(time window or filters) before paging."
                    )
                page_params = {**params, "limit": limit, "offset": offset}
                body = self.get(path, page_params)
            items = self._items_from(body, collection, path)
            if items:
                yield items
            if not body.get("more"):
                return
            if not items:
                raise PagerDutyMalformedResponse(
                    f"PagerDuty's answer to GET {path_template(path)} said 'more' but held no "
                    f"{collection}."
                )
            offset += len(items)
            body = None

    def _iter_windowed_pages(
        self,
        path: str,
        *,
        collection: str,
        since: datetime,
        until: datetime,
        params: Params,
    ) -> Iterator[list[dict[str, Any]]]:
        """Page through a since/until listing in windows that fit PagerDuty's limits.

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
        range_start = _floor_to_second(since)
        range_end = _floor_to_second(until)
        pending: collections.deque[_TimeWindow] = collections.deque()
        window_start = range_start
        while window_start < range_end:
            window_end = min(window_start + MAX_INCIDENT_WINDOW, range_end)
            pending.append(_TimeWindow(window_start, window_end))
            window_start = window_end

        previous_window_ids: set[str] = set()
        while pending:
            window = pending.popleft()
            window_params: dict[str, ParamValue] = {
                **params,
                "since": format_pagerduty_datetime(window.since),
                "until": format_pagerduty_datetime(window.until),
            }
            first_page = self.get(
                path, {**window_params, "limit": self.page_limit, "offset": 0, "total": True}
            )
            total = first_page.get("total")
            if isinstance(total, int) and total > WINDOW_SPLIT_THRESHOLD:
                midpoint = _floor_to_second(window.since + (window.until - window.since) / 2)
                if midpoint <= window.since:
                    raise PagerDutyPaginationCeilingError(
                        f"PagerDuty reports {total:,} {collection} created within one second "
                        f"at {format_pagerduty_datetime(window.since)}; more than classic "
                        "pagination can read. Narrow the listing with filters."
                    )
                logger.debug(
                    "Splitting %s window %s..%s (total %d)", path, window.since, window.until, total
                )
                pending.appendleft(_TimeWindow(midpoint, window.until))
                pending.appendleft(_TimeWindow(window.since, midpoint))
                continue

            current_window_ids: set[str] = set()
            for page in self._paginate(
                path, collection=collection, params=window_params, first_page=first_page
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

    # -- internals: HTTP ----------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one logical request, retrying transient failures.

        * 429 (PagerDuty code 2020): wait ``ratelimit-reset`` seconds plus a little jitter when
          the header is there; PagerDuty sometimes omits every rate-limit header, then back off
          exponentially with full jitter. 408 and 500/502/503/504, connection errors and
          timeouts back off the same way. After ``max_retries`` retries (so at most
          ``max_retries + 1`` attempts) raise ``PagerDutyTransientError``.
        * 401: ask the authorizer to refresh once; retry once if it got a new token.
        * A 2xx that is not JSON is retried once only, then ``PagerDutyMalformedResponse``: a
          body that keeps failing to parse is not going to fix itself.
        * The shared budget is asked before every attempt, retries included.
        """
        if not path.startswith("/"):
            raise ValueError("PagerDuty paths must start with '/'")
        url = self.base_url + path
        template = path_template(path)
        query = _encode_params(params) if params else None
        refresh_attempted = False
        failed_transient_attempts = 0
        malformed_bodies = 0
        last_failure = ""
        while True:
            if self._budget is not None:
                self._budget.acquire(self._budget_key)
            self.request_count += 1
            self.requests_by_path[template] += 1
            headers = {
                "Accept": ACCEPT_HEADER,
                "Authorization": self._auth.authorization_header(),
                "User-Agent": USER_AGENT,
            }
            if json_body is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = self._session.request(
                    method,
                    url,
                    params=query,
                    json=json_body,
                    headers=headers,
                    timeout=self._timeout_seconds,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                kind = "timed out" if isinstance(error, requests.Timeout) else "could not connect"
                logger.warning("PagerDuty %s %s %s", method, template, kind)
                failed_transient_attempts += 1
                last_failure = kind
                if failed_transient_attempts > self._max_retries:
                    raise self._transient_error(method, template, last_failure) from error
                self._back_off(failed_transient_attempts, rate_limit_reset_seconds=None)
                continue

            status = response.status_code
            logger.debug("PagerDuty %s %s -> %d", method, template, status)

            if 200 <= status < 300:
                if status == 204 or not response.content:
                    return {}
                try:
                    body = response.json()
                except ValueError as error:
                    malformed_bodies += 1
                    if malformed_bodies > MALFORMED_BODY_RETRIES:
                        raise PagerDutyMalformedResponse(
                            f"PagerDuty answered {method} {template} with status {status} but "
                            "the body was not JSON. If this persists, PagerDuty or a proxy in "
                            "between is misbehaving.",
                            status_code=status,
                        ) from error
                    continue
                if not isinstance(body, dict):
                    raise PagerDutyMalformedResponse(
                        f"PagerDuty answered {method} {template} with JSON that is not an object.",
                        status_code=status,
                    )
                return body

            if status == 401 and not refresh_attempted:
                refresh_attempted = True
                if self._auth.refresh():
                    continue

            if status in TRANSIENT_STATUS_CODES:
                failed_transient_attempts += 1
                last_failure = f"status {status}"
                if failed_transient_attempts > self._max_retries:
                    raise self._transient_error(method, template, last_failure, status_code=status)
                reset_seconds = (
                    _rate_limit_reset_seconds(response.headers) if status == 429 else None
                )
                self._back_off(failed_transient_attempts, rate_limit_reset_seconds=reset_seconds)
                continue

            raise _error_for_response(response, method, template)

    def _back_off(self, failed_attempts: int, *, rate_limit_reset_seconds: float | None) -> None:
        if rate_limit_reset_seconds is not None:
            delay_seconds = min(rate_limit_reset_seconds, self._backoff_max_seconds)
            delay_seconds += self._random.uniform(0, RATE_LIMIT_RESET_JITTER_SECONDS)
        else:
            ceiling_seconds = min(
                self._backoff_max_seconds,
                self._backoff_base_seconds * (2 ** (failed_attempts - 1)),
            )
            delay_seconds = self._random.uniform(0, ceiling_seconds)
        self.slept_seconds += delay_seconds
        self._sleep(delay_seconds)

    def _transient_error(
        self, method: str, template: str, last_failure: str, *, status_code: int | None = None
    ) -> PagerDutyTransientError:
        attempts = self._max_retries + 1
        if status_code == 429:
            message = (
                f"PagerDuty kept rate-limiting {method} {template} (960 requests per minute) "
                f"through {attempts} attempts. Another integration may be using the same "
                "PagerDuty account heavily; the sync will try again later."
            )
        else:
            message = (
                f"PagerDuty could not be reached for {method} {template} after {attempts} "
                f"attempts (last: {last_failure}). PagerDuty or the network may be degraded; "
                "the sync will try again later."
            )
        return PagerDutyTransientError(message, status_code=status_code)


def _encode_params(params: Params) -> list[tuple[str, str]]:
    """Query parameters as PagerDuty reads them: lists become repeated keys, booleans
    ``true``/``false`` (requests would send ``True``), datetimes ISO 8601 UTC."""
    encoded: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for single_value in values:
            encoded.append((key, _encode_scalar(single_value)))
    return encoded


def _encode_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_pagerduty_datetime(value)
    return str(value)


def _rate_limit_reset_seconds(headers: Mapping[str, str]) -> float | None:
    raw_value = headers.get("ratelimit-reset")
    if raw_value is None:
        return None
    try:
        seconds = float(raw_value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def _error_for_response(response: requests.Response, method: str, template: str) -> PagerDutyError:
    """Turn a non-retryable PagerDuty error response into a typed, user-actionable error.

    PagerDuty error bodies look like ``{"error": {"message", "code", "errors": [...]}}``.
    """
    status = response.status_code
    pagerduty_message = ""
    error_code: int | None = None
    errors: list[str] = []
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error = payload["error"]
        pagerduty_message = str(error.get("message") or "")
        raw_code = error.get("code")
        error_code = raw_code if isinstance(raw_code, int) else None
        if isinstance(error.get("errors"), list):
            errors = [str(detail) for detail in error["errors"]]
    said = f" PagerDuty said: {pagerduty_message}." if pagerduty_message else ""
    common = {"status_code": status, "error_code": error_code, "errors": errors}

    if status == 401:
        return PagerDutyUnauthorized(
            "PagerDuty rejected the credentials (expired, revoked or invalid). Reconnect the "
            f"PagerDuty account to resume syncing.{said}",
            **common,
        )
    if status == 403:
        required_scope = ENDPOINT_SCOPES.get(template)
        scope_hint = (
            f" It needs the '{required_scope}' scope; reconnect and grant it, or use an API key "
            "or user with access."
            if required_scope
            else " Reconnect with a user or key that has access."
        )
        return PagerDutyForbidden(
            f"PagerDuty refused {method} {template}: the token lacks the permission or OAuth "
            f"scope for it.{scope_hint}{said}",
            required_scope=required_scope,
            **common,
        )
    if status == 402:
        return PagerDutyPaymentRequired(
            f"The PagerDuty account's plan does not include the feature behind {method} "
            f"{template}; this data cannot be collected on the current plan.{said}",
            **common,
        )
    if status == 404:
        return PagerDutyNotFound(
            f"PagerDuty found nothing at {method} {template}; it may have been deleted.{said}",
            **common,
        )
    if status == 400:
        details = f" Details: {'; '.join(errors)}." if errors else ""
        if any("offset+limit" in detail.lower() for detail in errors):
            return PagerDutyPaginationCeilingError(
                f"PagerDuty refused {method} {template}: offset + limit exceeds 10,000.{details}",
                **common,
            )
        return PagerDutyBadRequest(
            f"PagerDuty rejected the arguments of {method} {template}.{said}{details}",
            **common,
        )
    return PagerDutyError(
        f"PagerDuty answered {method} {template} with unexpected status {status}.{said}",
        **common,
    )
