"""A local HTTP server that behaves like the parts of PagerDuty this project talks to.

It serves the REST API v2 subset (users, services, priorities, incidents, log entries, notes,
custom field values, licenses, abilities, analytics) and the Scoped OAuth identity endpoints on
one port, with PagerDuty's real rules rather than what a client might hope for: the 100-item
page cap, the 10,000 offset ceiling, the one-month default and six-month maximum incident range,
`since` filtering on creation time, per-credential rate limits with sometimes-missing headers,
scopes checked per endpoint, rotating refresh tokens. Faults (errors, latency, malformed bodies,
revoked tokens) can be switched on at runtime through `/_control/options`.

Start it in a test with `StandinServer(StandinOptions(port=0)).start()` and read `.url`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import random
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .data import (
    ACKNOWLEDGED,
    ALL_STATUSES,
    LOG_KIND_ACKNOWLEDGE,
    LOG_KIND_ANNOTATE,
    LOG_KIND_ASSIGN,
    LOG_KIND_NOTIFY,
    LOG_KIND_RESOLVE,
    LOG_KIND_TRIGGER,
    OPEN_STATUSES,
    OVERVIEW_LOG_KINDS,
    RESOLVED,
    TRIGGERED,
    Dataset,
    Incident,
    IncidentQuery,
    Integration,
    InvalidRequestError,
    License,
    LogEntryRecord,
    Note,
    NotFoundError,
    Priority,
    Service,
    Team,
    User,
    add_months,
    decode_cursor,
    encode_cursor,
    format_naive_timestamp,
    format_timestamp,
    from_base36,
    generate_dataset,
)
from .oauth import (
    AuthorizePageError,
    AuthorizeRedirect,
    OAuthError,
    OAuthProvider,
    OAuthSettings,
    consent_page,
    error_page,
)

DEFAULT_API_KEY = "standin-readonly-key"
DEFAULT_OAUTH_CLIENT_ID = "standin-oauth-client-id"
DEFAULT_OAUTH_CLIENT_SECRET = "standin-oauth-client-secret"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
DEFAULT_PAGE_LIMIT = 25
MAX_PAGE_LIMIT = 100
PAGINATION_CEILING = 10_000
DEFAULT_INCIDENT_RANGE_MONTHS = 1
MAX_INCIDENT_RANGE_MONTHS = 6
ANALYTICS_MAX_LIMIT = 1000
ANALYTICS_MAX_RANGE_DAYS = 366
ABILITIES = (
    "advanced_permissions",
    "analytics",
    "custom_incident_fields",
    "incident_priorities",
    "read_only_users",
    "service_support_hours",
    "teams",
    "urgencies",
)
NOTIFICATION_LABELS = {
    "sms_notification": "SMS",
    "phone_notification": "phone",
    "push_notification": "push notification",
    "email_notification": "email",
}
# Options that `/_control/options` (and `StandinServer.update_options`) may change at runtime.
RUNTIME_OPTION_NAMES = frozenset(
    {
        "error_rate",
        "latency_ms",
        "malformed_rate",
        "rate_limit_per_minute",
        "rate_limit_headers_probability",
        "withhold_scopes",
        "access_token_ttl_seconds",
        "oauth_auto_approve",
        "invalid_scope_grants_only_openid",
    }
)


@dataclass
class StandinOptions:
    """Everything the stand-in can be told. Sizes and `seed` fix the generated account.

    `now` pins the generated data (same seed + sizes + now = same account); without it the data
    is anchored at the real current time. After start, the data clock runs on from `now`.
    """

    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None
    seed: int = 1
    incident_count: int = 5000
    user_count: int = 300
    service_count: int = 20
    team_count: int | None = None
    now: datetime | None = None
    subdomain: str = "demo"
    region: str = "us"
    account_time_zone: str = "Etc/UTC"
    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    oauth_client_id: str = DEFAULT_OAUTH_CLIENT_ID
    oauth_client_secret: str = DEFAULT_OAUTH_CLIENT_SECRET
    oauth_redirect_uris: tuple[str, ...] = ()
    oauth_app_scopes: tuple[str, ...] | None = None
    oauth_auto_approve: bool = False
    oauth_audience_url: str | None = None
    withhold_scopes: tuple[str, ...] = ()
    invalid_scope_grants_only_openid: bool = False
    access_token_ttl_seconds: int = 86_400
    refresh_token_ttl_seconds: int = 30 * 86_400
    authorization_code_ttl_seconds: int = 30
    rate_limit_per_minute: int = 960
    rate_limit_headers_probability: float = 0.95
    error_rate: float = 0.0
    latency_ms: int = 0
    malformed_rate: float = 0.0
    log_requests: bool = False


class ApiError(Exception):
    """A PagerDuty REST error: HTTP status plus `{"error": {"message", "code", "errors"}}`."""

    def __init__(
        self, status: int, message: str, code: int, errors: Sequence[str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = list(errors) if errors else None

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            error["errors"] = self.errors
        return {"error": error}


def invalid_input(detail: str) -> ApiError:
    """PagerDuty's 400 for a malformed argument (code 2001)."""
    return ApiError(400, "Invalid Input Provided", 2001, [detail])


def arguments_error(detail: str) -> ApiError:
    """PagerDuty's 400 for arguments it understood but will not run (code 2002)."""
    return ApiError(400, "Arguments Caused Error", 2002, [detail])


UNAUTHORIZED = ApiError(401, "Authentication failed", 2006)
NOT_FOUND = ApiError(404, "Not Found", 2100)


@dataclass
class Response:
    """What the HTTP layer writes back: status, body bytes and headers."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON_CONTENT_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(payload, separators=(",", ":")).encode())


@dataclass
class Credential:
    """Who is calling: an API key (all read scopes) or an OAuth token with its scopes."""

    kind: str
    rate_limit_identity: str
    scopes: frozenset[str] | None
    user_id: str | None


@dataclass
class Request:
    """One parsed HTTP request, as the endpoint handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    path_parameters: dict[str, str] = field(default_factory=dict)
    credential: Credential | None = None

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def many(self, name: str) -> list[str]:
        """Values of an array parameter, which PagerDuty spells `name[]` (repeated)."""
        return [value for value in self.query.get(f"{name}[]", []) if value != ""]

    def flag(self, name: str) -> bool:
        return (self.one(name) or "").lower() == "true"

    def includes(self) -> frozenset[str]:
        return frozenset(self.many("include"))

    def json_body(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        try:
            payload = json.loads(self.body)
        except ValueError as error:
            raise invalid_input("The request body is not valid JSON.") from error
        if not isinstance(payload, dict):
            raise invalid_input("The request body must be a JSON object.")
        return payload

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {key: values[-1] for key, values in parsed.items()}


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path template, handler name, kind and required OAuth scope."""

    method: str
    template: str
    handler: str
    kind: str
    scope: str | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile_template(self.template)


_TEMPLATE_CACHE: dict[str, re.Pattern[str]] = {}


def _compile_template(template: str) -> re.Pattern[str]:
    pattern = _TEMPLATE_CACHE.get(template)
    if pattern is None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        pattern = _TEMPLATE_CACHE[template] = re.compile(f"^{regex}/?$")
    return pattern


ROUTES: tuple[Route, ...] = (
    Route("GET", "/users", "list_users", "rest", "users.read"),
    Route("GET", "/users/me", "current_user", "rest", None),
    Route("GET", "/users/{id}", "get_user", "rest", "users.read"),
    Route("GET", "/teams", "list_teams", "rest", "teams.read"),
    Route("GET", "/services", "list_services", "rest", "services.read"),
    Route("GET", "/services/{id}", "get_service", "rest", "services.read"),
    Route("GET", "/priorities", "list_priorities", "rest", "priorities.read"),
    Route("GET", "/abilities", "list_abilities", "rest", "abilities.read"),
    Route("GET", "/incidents", "list_incidents", "rest", "incidents.read"),
    Route("GET", "/incidents/{id}", "get_incident", "rest", "incidents.read"),
    Route(
        "GET", "/incidents/{id}/log_entries", "list_incident_log_entries", "rest", "incidents.read"
    ),
    Route("GET", "/incidents/{id}/notes", "list_incident_notes", "rest", "incidents.read"),
    Route(
        "GET",
        "/incidents/{id}/custom_fields/values",
        "list_incident_custom_field_values",
        "rest",
        "incidents.read",
    ),
    Route("GET", "/log_entries", "list_log_entries", "rest", "incidents.read"),
    Route("GET", "/log_entries/{id}", "get_log_entry", "rest", "incidents.read"),
    Route("GET", "/licenses", "list_licenses", "rest", "licenses.read"),
    Route("GET", "/license_allocations", "list_license_allocations", "rest", "licenses.read"),
    Route("POST", "/analytics/raw/users", "analytics_raw_users", "rest", "analytics.write"),
    Route(
        "POST",
        "/analytics/metrics/incidents/all",
        "analytics_incident_metrics",
        "rest",
        "analytics.write",
    ),
    Route("GET", "/oauth/authorize", "oauth_authorize_page", "identity"),
    Route("POST", "/oauth/authorize", "oauth_authorize_decision", "identity"),
    Route("POST", "/oauth/token", "oauth_token", "identity"),
    Route("GET", "/global/oauth/anonymous/jwks", "oauth_jwks", "identity"),
    Route(
        "GET",
        "/global/oauth/anonymous/.well-known/openid-configuration",
        "oauth_openid_configuration",
        "identity",
    ),
    Route("GET", "/_control/health", "control_health", "control"),
    Route("GET", "/_control/summary", "control_summary", "control"),
    Route("GET", "/_control/stats", "control_stats", "control"),
    Route("POST", "/_control/stats/reset", "control_reset_stats", "control"),
    Route("GET", "/_control/options", "control_get_options", "control"),
    Route("POST", "/_control/options", "control_set_options", "control"),
    Route("POST", "/_control/revoke_all_tokens", "control_revoke_all_tokens", "control"),
    Route("POST", "/_control/incidents", "control_add_incidents", "control"),
    Route("POST", "/_control/incidents/{id}/resolve", "control_resolve_incident", "control"),
    Route(
        "POST", "/_control/incidents/{id}/acknowledge", "control_acknowledge_incident", "control"
    ),
    Route("POST", "/_control/incidents/{id}/notes", "control_add_note", "control"),
    Route("POST", "/_control/users/{id}/remove", "control_remove_user", "control"),
    Route("POST", "/_control/users/{id}/sign_in", "control_sign_in_user", "control"),
)


class StandinServer:
    """The stand-in: a generated PagerDuty account behind a threaded HTTP server.

    The socket is bound in the constructor, so `url` is known before `start()`. `port=0` picks a
    free port. Use `start()`/`stop()` (or `with StandinServer(...) as server:`) in tests and
    `serve_forever()` in the management command.

    Control endpoints (no authentication, never rate limited or faulted, not counted in stats):
    `GET /_control/health`, `GET /_control/summary` (counts to compare a sync against),
    `GET /_control/stats` and `POST /_control/stats/reset` (requests per route, method, status),
    `GET|POST /_control/options` (runtime options; `{"revoke_all_tokens": true}` revokes),
    `POST /_control/revoke_all_tokens`, `POST /_control/incidents` (`{"count", "status",
    "service_id", "urgency"}`), `POST /_control/incidents/{id}/resolve` (`{"note", "user_id"}`),
    `POST /_control/incidents/{id}/acknowledge`, `POST /_control/incidents/{id}/notes`
    (`{"content", "user_id"}`), `POST /_control/users/{id}/remove` and
    `POST /_control/users/{id}/sign_in`.
    """

    def __init__(self, options: StandinOptions | None = None, *, dataset: Dataset | None = None):
        self.options = replace(options or StandinOptions())
        self._options_lock = threading.Lock()
        self._started_wall_time = time.time()
        self.dataset = dataset or generate_dataset(
            seed=self.options.seed,
            incident_count=self.options.incident_count,
            user_count=self.options.user_count,
            service_count=self.options.service_count,
            team_count=self.options.team_count,
            now=self.options.now,
            subdomain=self.options.subdomain,
        )
        self._data_time_at_start = (
            self.options.now.timestamp() if self.options.now else self._started_wall_time
        )
        self.dataset.clock = self.data_clock
        self.account_zone = _zone_or_utc(self.options.account_time_zone)
        self._http = _StandinHTTPServer((self.options.host, self.options.port), self)
        self.port = self._http.server_address[1]
        visible_host = "127.0.0.1" if self.options.host in ("0.0.0.0", "") else self.options.host
        self.url = (self.options.public_url or f"http://{visible_host}:{self.port}").rstrip("/")
        self.oauth = OAuthProvider(settings=self._oauth_settings(), base_url=self.url)
        self._fault_random = random.Random(f"{self.options.seed}:faults")
        self._fault_lock = threading.Lock()
        self._rate_windows: dict[str, list[float]] = {}
        self._rate_lock = threading.Lock()
        self._stats_lock = threading.Lock()
        self._stats: dict[str, dict[str, int]] = {}
        self._thread: threading.Thread | None = None
        self._serving = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> StandinServer:
        """Serve in a background daemon thread and return at once."""
        if self._thread is None:
            self._serving = True
            self._thread = threading.Thread(
                target=self._http.serve_forever, name=f"pagerduty-standin-{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until `stop()` or KeyboardInterrupt."""
        self._serving = True
        try:
            self._http.serve_forever()
        finally:
            self._serving = False

    def stop(self) -> None:
        """Stop serving, close the socket and drop open keep-alive connections."""
        if self._serving:
            self._http.shutdown()
            self._serving = False
        self._http.server_close()
        self._http.close_open_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> StandinServer:
        return self.start()

    def __exit__(self, *exception_info: object) -> None:
        self.stop()

    # -- runtime controls --------------------------------------------------------------------

    def data_clock(self) -> float:
        """The account's clock: `now` (or real time) at start, advancing in real time."""
        return self._data_time_at_start + (time.time() - self._started_wall_time)

    def update_options(self, **changes: Any) -> dict[str, Any]:
        """Change fault and OAuth options while running; `revoke_all_tokens=True` is an action."""
        revoke = bool(changes.pop("revoke_all_tokens", False))
        unknown = set(changes) - RUNTIME_OPTION_NAMES
        if unknown:
            raise InvalidRequestError(f"not a runtime option: {', '.join(sorted(unknown))}")
        with self._options_lock:
            for name, value in changes.items():
                current = getattr(self.options, name)
                if isinstance(current, tuple):
                    value = tuple(value or ())
                elif isinstance(current, bool):
                    value = bool(value)
                elif isinstance(current, float):
                    value = float(value)
                    if not 0.0 <= value <= 1.0:
                        raise InvalidRequestError(f"{name} must be between 0 and 1")
                elif isinstance(current, int):
                    value = int(value)
                setattr(self.options, name, value)
            self.oauth.settings = self._oauth_settings()
        if revoke:
            self.revoke_all_tokens()
        return self.runtime_options()

    def runtime_options(self) -> dict[str, Any]:
        with self._options_lock:
            return {name: getattr(self.options, name) for name in sorted(RUNTIME_OPTION_NAMES)}

    def revoke_all_tokens(self) -> int:
        """Invalidate every OAuth access and refresh token (PagerDuty's "Revoke All Tokens")."""
        return self.oauth.revoke_all()

    def stats(self) -> dict[str, Any]:
        """Request counts per route template, per method and per status (control excluded)."""
        with self._stats_lock:
            return {
                "total": sum(self._stats.get("by_method", {}).values()),
                **{name: dict(sorted(counts.items())) for name, counts in self._stats.items()},
            }

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()

    def _oauth_settings(self) -> OAuthSettings:
        options = self.options
        return OAuthSettings(
            client_id=options.oauth_client_id,
            client_secret=options.oauth_client_secret,
            redirect_uris=tuple(options.oauth_redirect_uris),
            app_scopes=frozenset(options.oauth_app_scopes) if options.oauth_app_scopes else None,
            withhold_scopes=frozenset(options.withhold_scopes),
            invalid_scope_grants_only_openid=options.invalid_scope_grants_only_openid,
            access_token_ttl_seconds=options.access_token_ttl_seconds,
            refresh_token_ttl_seconds=options.refresh_token_ttl_seconds,
            authorization_code_ttl_seconds=options.authorization_code_ttl_seconds,
            subdomain=options.subdomain,
            region=options.region,
            account_id=self.dataset.account_id,
            audience_url=options.oauth_audience_url,
        )

    def _count(self, route_key: str, method: str, status: int) -> None:
        with self._stats_lock:
            for bucket, key in (
                ("by_route", route_key),
                ("by_method", method),
                ("by_status", str(status)),
            ):
                counts = self._stats.setdefault(bucket, {})
                counts[key] = counts.get(key, 0) + 1

    # -- request handling --------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: Message, body: bytes) -> Response:
        """Answer one request; the HTTP handler only does the socket I/O around this."""
        parts = urlsplit(raw_path)
        request = Request(
            method=method,
            path=parts.path or "/",
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=headers,
            body=body,
        )
        route = None
        path_allowed = False
        for candidate in ROUTES:
            match = candidate.pattern.match(request.path)
            if match:
                path_allowed = True
                if candidate.method == method:
                    route = candidate
                    request.path_parameters = match.groupdict()
                    break
        is_control = request.path.startswith("/_control")
        if route is None:
            response = _error_response(
                NOT_FOUND if not path_allowed else ApiError(405, "Method Not Allowed", 2100)
            )
            if not is_control:
                self._count(f"{method} (unmatched)", method, response.status)
            return response
        try:
            if route.kind == "control":
                return getattr(self, route.handler)(request)
            if route.kind == "identity":
                response = getattr(self, route.handler)(request)
            else:
                response = self._handle_rest(route, request)
        except ApiError as error:
            response = _error_response(error)
        except NotFoundError:
            response = _error_response(NOT_FOUND)
        except InvalidRequestError as error:
            response = _error_response(invalid_input(str(error)))
        except Exception:  # noqa: BLE001 - any bug must become PagerDuty's 500, not a dropped socket
            traceback.print_exc(file=sys.stderr)
            response = _error_response(
                ApiError(
                    500, "An internal error has occurred. PagerDuty team has been notified.", 2000
                )
            )
        if not is_control:
            self._count(f"{route.method} {route.template}", method, response.status)
        return response

    def _handle_rest(self, route: Route, request: Request) -> Response:
        """Latency, injected faults, authentication, rate limit, scope - then the endpoint."""
        options = self.options
        if options.latency_ms > 0:
            time.sleep(options.latency_ms / 1000)
        with self._fault_lock:
            error_roll = self._fault_random.random()
            malformed_roll = self._fault_random.random()
            status_roll = self._fault_random.random()
        if error_roll < options.error_rate:
            return _injected_server_error(status_roll)
        credential = self._authenticate(request.headers)
        request.credential = credential
        allowed, limit, remaining, reset_seconds = self._take_rate_limit(
            credential.rate_limit_identity
        )
        rate_headers = [
            ("ratelimit-limit", str(limit)),
            ("ratelimit-remaining", str(remaining)),
            ("ratelimit-reset", str(reset_seconds)),
        ]
        if not allowed:
            with self._fault_lock:
                headers_roll = self._fault_random.random()
            if headers_roll >= options.rate_limit_headers_probability:
                # PagerDuty docs: some 429s come without the headers and without the JSON body.
                return Response(429, b"", content_type=None)
            response = _error_response(ApiError(429, "Rate Limit Exceeded", 2020))
            response.headers.extend(rate_headers)
            return response
        if (
            credential.scopes is not None
            and route.scope is not None
            and route.scope not in credential.scopes
        ):
            raise ApiError(
                403,
                "Access Denied",
                2010,
                [f"The access token does not have the required scope: {route.scope}."],
            )
        try:
            response = getattr(self, route.handler)(request)
        except ApiError as error:
            response = _error_response(error)
        except NotFoundError:
            response = _error_response(NOT_FOUND)
        except InvalidRequestError as error:
            response = _error_response(invalid_input(str(error)))
        if response.status == 200 and malformed_roll < options.malformed_rate and response.body:
            response.body = response.body[: max(1, len(response.body) // 2)]
        if limit > 0:
            response.headers.extend(rate_headers)
        return response

    def _authenticate(self, headers: Message) -> Credential:
        """`Authorization: Token token=KEY` or `Authorization: Bearer TOKEN`, else 401."""
        header = (headers.get("Authorization") or "").strip()
        key_match = re.fullmatch(r"Token token=(\S+)", header)
        if key_match:
            api_key = key_match.group(1)
            if api_key in self.options.api_keys:
                return Credential("api_key", f"api_key:{api_key}", None, None)
            raise UNAUTHORIZED
        bearer_match = re.fullmatch(r"(?i:bearer) (\S+)", header)
        if bearer_match:
            grant = self.oauth.authenticate(bearer_match.group(1))
            if grant is not None:
                identity = f"oauth:{grant.client_id}:{grant.user_id or 'app'}"
                return Credential("oauth", identity, grant.scopes, grant.user_id)
        raise UNAUTHORIZED

    def _take_rate_limit(self, identity: str) -> tuple[bool, int, int, int]:
        """Fixed one-minute windows per credential, as PagerDuty counts them."""
        limit = self.options.rate_limit_per_minute
        if limit <= 0:
            return True, 0, 0, 0
        now = time.monotonic()
        with self._rate_lock:
            window = self._rate_windows.get(identity)
            if window is None or now >= window[0] + 60:
                window = self._rate_windows[identity] = [now, 0]
            reset_seconds = max(1, math.ceil(window[0] + 60 - now))
            if window[1] >= limit:
                return False, limit, 0, reset_seconds
            window[1] += 1
            return True, limit, int(limit - window[1]), reset_seconds

    # -- helpers shared by endpoints ---------------------------------------------------------

    def _renderer(self, request: Request) -> _Renderer:
        return _Renderer(self, self._request_zone(request))

    def _request_zone(self, request: Request) -> tzinfo | None:
        name = request.one("time_zone")
        if not name:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise invalid_input(f"Time zone {name!r} is not a valid time zone.") from error

    def _page_parameters(self, request: Request) -> tuple[int, int]:
        """`offset` and `limit` with PagerDuty's default, cap and 10,000 ceiling."""
        limit = _integer_parameter(request.one("limit"), "limit", DEFAULT_PAGE_LIMIT)
        offset = _integer_parameter(request.one("offset"), "offset", 0)
        limit = min(max(limit, 1), MAX_PAGE_LIMIT)
        offset = max(offset, 0)
        if offset + limit > PAGINATION_CEILING:
            raise arguments_error(
                f"Offset+limit exceeds maximum allowed value of {PAGINATION_CEILING}. Please try "
                "to refine your search to reduce the returned set of records below this number, "
                "like adding a date range."
            )
        return offset, limit

    def _paginate(
        self,
        request: Request,
        collection: str,
        items: Sequence[Any],
        render: Callable[[Any], dict[str, Any]],
        extra: dict[str, Any] | None = None,
    ) -> Response:
        offset, limit = self._page_parameters(request)
        with self.dataset.lock:
            page = items[offset : offset + limit]
            rendered = [render(item) for item in page]
            total = len(items)
        payload = {
            collection: rendered,
            "limit": limit,
            "offset": offset,
            "more": offset + limit < total,
            "total": total if request.flag("total") else None,
            **(extra or {}),
        }
        return json_response(payload)

    def _parse_time(self, text: str, zone: tzinfo | None, name: str) -> datetime:
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
            moment = moment.replace(tzinfo=zone or self.account_zone)
        return moment

    def _incident_window(
        self, request: Request, zone: tzinfo | None
    ) -> tuple[int | None, int | None]:
        """[since, until) in epoch seconds; PagerDuty defaults to one month, allows six."""
        if request.one("date_range") == "all":
            return None, None
        since_text, until_text = request.one("since"), request.one("until")
        now = datetime.fromtimestamp(self.data_clock(), tz=UTC)
        until = self._parse_time(until_text, zone, "until") if until_text else None
        since = self._parse_time(since_text, zone, "since") if since_text else None
        if since is None and until is None:
            until = now + timedelta(seconds=1)
            since = add_months(now, -DEFAULT_INCIDENT_RANGE_MONTHS)
        elif until is None:
            until = now + timedelta(seconds=1)
        elif since is None:
            since = add_months(until, -DEFAULT_INCIDENT_RANGE_MONTHS)
        if since > until:
            raise ApiError(400, "Invalid Query Date Range", 2005, ["since must be before until."])
        if add_months(since, MAX_INCIDENT_RANGE_MONTHS) < until:
            raise invalid_input(
                "The date range between since and until is over the maximum of 6 months; "
                "use date_range=all or a smaller window."
            )
        return math.floor(since.timestamp()), math.ceil(until.timestamp())

    def _optional_window(
        self, request: Request, zone: tzinfo | None
    ) -> tuple[int | None, int | None]:
        since_text, until_text = request.one("since"), request.one("until")
        since = self._parse_time(since_text, zone, "since") if since_text else None
        until = self._parse_time(until_text, zone, "until") if until_text else None
        if since is not None and until is not None and since > until:
            raise ApiError(400, "Invalid Query Date Range", 2005, ["since must be before until."])
        return (
            math.floor(since.timestamp()) if since else None,
            math.ceil(until.timestamp()) if until else None,
        )

    # -- users, teams ------------------------------------------------------------------------

    def list_users(self, request: Request) -> Response:
        search = (request.one("query") or "").lower()
        team_ids = set(request.many("team_ids"))
        renderer = self._renderer(request)
        includes = request.includes()
        with self.dataset.lock:
            users = [
                user
                for user in self.dataset.active_users()
                if (not search or search in user.name.lower() or search in user.email.lower())
                and (
                    not team_ids
                    or any(self.dataset.teams[index].id in team_ids for index in user.team_indices)
                )
            ]
        return self._paginate(request, "users", users, lambda user: renderer.user(user, includes))

    def current_user(self, request: Request) -> Response:
        credential = request.credential
        if credential is None or credential.user_id is None:
            raise arguments_error(
                "This endpoint can only be used with a user-level API key or a token obtained "
                "through an OAuth flow; account-level API keys have no current user."
            )
        with self.dataset.lock:
            user = self.dataset.get_user(credential.user_id)
            return json_response({"user": self._renderer(request).user(user, request.includes())})

    def get_user(self, request: Request) -> Response:
        with self.dataset.lock:
            user = self.dataset.get_user(request.path_parameters["id"])
            return json_response({"user": self._renderer(request).user(user, request.includes())})

    def list_teams(self, request: Request) -> Response:
        renderer = self._renderer(request)
        search = (request.one("query") or "").lower()
        teams = sorted(
            (team for team in self.dataset.teams if search in team.name.lower()),
            key=lambda team: team.name.lower(),
        )
        return self._paginate(request, "teams", teams, renderer.team)

    # -- services, priorities, abilities -----------------------------------------------------

    def list_services(self, request: Request) -> Response:
        search = (request.one("query") or "").lower()
        team_ids = set(request.many("team_ids"))
        includes = request.includes()
        renderer = self._renderer(request)
        services = [
            service
            for service in self.dataset.services_sorted_by_name
            if search in service.name.lower()
            and (not team_ids or self.dataset.teams[service.team_index].id in team_ids)
        ]
        if (request.one("sort_by") or "name").endswith(":desc"):
            services.reverse()
        return self._paginate(
            request, "services", services, lambda service: renderer.service(service, includes)
        )

    def get_service(self, request: Request) -> Response:
        service = self.dataset.service_by_id.get(request.path_parameters["id"])
        if service is None:
            raise NOT_FOUND
        with self.dataset.lock:
            rendered = self._renderer(request).service(service, request.includes())
        return json_response({"service": rendered})

    def list_priorities(self, request: Request) -> Response:
        renderer = self._renderer(request)
        return self._paginate(request, "priorities", self.dataset.priorities, renderer.priority)

    def list_abilities(self, request: Request) -> Response:
        return json_response({"abilities": list(ABILITIES)})

    # -- incidents ---------------------------------------------------------------------------

    def list_incidents(self, request: Request) -> Response:
        zone = self._request_zone(request)
        offset, limit = self._page_parameters(request)
        since, until = self._incident_window(request, zone)
        statuses = request.many("statuses")
        if any(status not in ALL_STATUSES for status in statuses):
            raise invalid_input("Status must be a list of triggered, acknowledged, or resolved.")
        urgencies = request.many("urgencies")
        if any(urgency not in ("high", "low") for urgency in urgencies):
            raise invalid_input("Urgency must be a list of high or low.")
        sort_field, descending = _incident_sort(request.one("sort_by"))
        assigned_user_ids = set(request.many("user_ids"))
        query = IncidentQuery(
            since=since,
            until=until,
            statuses=frozenset(statuses) if statuses else None,
            service_ids=frozenset(request.many("service_ids")) or None,
            team_ids=frozenset(request.many("team_ids")) or None,
            urgencies=frozenset(urgencies) if urgencies else None,
            incident_key=request.one("incident_key") or None,
            descending=descending and sort_field in ("created_at", "incident_number"),
        )
        renderer = _Renderer(self, zone)
        includes = request.includes()
        dataset = self.dataset
        with dataset.lock:
            indices: Sequence[int] = dataset.query_incidents(query)
            if assigned_user_ids:
                wanted = {
                    dataset.user_by_id[user_id].index
                    for user_id in assigned_user_ids
                    if user_id in dataset.user_by_id
                }
                indices = [
                    index
                    for index in indices
                    if dataset.incidents[index].status in OPEN_STATUSES
                    and dataset.incidents[index].assignee_index in wanted
                ]
            if sort_field not in ("created_at", "incident_number"):
                indices = _sorted_by_field(dataset, indices, sort_field, descending)
            page = indices[offset : offset + limit]
            rendered = [renderer.incident(dataset.incidents[index], includes) for index in page]
            total = len(indices)
        return json_response(
            {
                "incidents": rendered,
                "limit": limit,
                "offset": offset,
                "more": offset + limit < total,
                "total": total if request.flag("total") else None,
            }
        )

    def get_incident(self, request: Request) -> Response:
        with self.dataset.lock:
            incident = self._incident_by_id_or_number(request.path_parameters["id"])
            rendered = self._renderer(request).incident(incident, request.includes())
        return json_response({"incident": rendered})

    def _incident_by_id_or_number(self, identifier: str) -> Incident:
        """PagerDuty accepts an incident id or its number in the URL."""
        if identifier.isdigit():
            number = int(identifier)
            if 1 <= number <= len(self.dataset.incidents):
                return self.dataset.incidents[number - 1]
            raise NOT_FOUND
        return self.dataset.get_incident(identifier)

    def list_incident_log_entries(self, request: Request) -> Response:
        zone = self._request_zone(request)
        since, until = self._optional_window(request, zone)
        overview_only = request.flag("is_overview")
        renderer = _Renderer(self, zone)
        includes = request.includes()
        with self.dataset.lock:
            incident = self._incident_by_id_or_number(request.path_parameters["id"])
            records = [
                record
                for record in self.dataset.incident_log_entries(incident)
                if (since is None or record.at >= since)
                and (until is None or record.at < until)
                and (not overview_only or record.kind in OVERVIEW_LOG_KINDS)
            ]
            records.sort(key=lambda record: (record.at, record.sequence), reverse=True)
        return self._paginate(
            request,
            "log_entries",
            records,
            lambda record: renderer.log_entry(incident, record, includes),
        )

    def list_log_entries(self, request: Request) -> Response:
        zone = self._request_zone(request)
        offset, limit = self._page_parameters(request)
        since, until = self._optional_window(request, zone)
        renderer = _Renderer(self, zone)
        includes = request.includes()
        team_ids = set(request.many("team_ids"))
        dataset = self.dataset
        with dataset.lock:
            keys: Sequence[tuple[int, int]] = dataset.query_log_entries(
                since=since, until=until, overview_only=request.flag("is_overview")
            )
            if team_ids:
                keys = [
                    key
                    for key in keys
                    if dataset.teams[
                        dataset.services[dataset.incidents[key[0]].service_index].team_index
                    ].id
                    in team_ids
                ]
            records_by_incident: dict[int, list[LogEntryRecord]] = {}
            rendered = []
            for incident_index, sequence in keys[offset : offset + limit]:
                incident = dataset.incidents[incident_index]
                records = records_by_incident.get(incident_index)
                if records is None:
                    records = records_by_incident[incident_index] = dataset.incident_log_entries(
                        incident
                    )
                rendered.append(renderer.log_entry(incident, records[sequence], includes))
            total = len(keys)
        return json_response(
            {
                "log_entries": rendered,
                "limit": limit,
                "offset": offset,
                "more": offset + limit < total,
                "total": total if request.flag("total") else None,
            }
        )

    def get_log_entry(self, request: Request) -> Response:
        with self.dataset.lock:
            incident, record = self.dataset.find_log_entry(request.path_parameters["id"])
            rendered = self._renderer(request).log_entry(incident, record, request.includes())
        return json_response({"log_entry": rendered})

    def list_incident_notes(self, request: Request) -> Response:
        renderer = self._renderer(request)
        with self.dataset.lock:
            incident = self._incident_by_id_or_number(request.path_parameters["id"])
            notes = [renderer.note(note) for note in incident.notes or ()]
        return json_response({"notes": notes})

    def list_incident_custom_field_values(self, request: Request) -> Response:
        with self.dataset.lock:
            incident = self._incident_by_id_or_number(request.path_parameters["id"])
            values = {"data_loss": incident.data_loss, "environment": incident.environment}
            fields = [
                {
                    "id": custom_field.id,
                    "type": "field_value",
                    "name": custom_field.name,
                    "display_name": custom_field.display_name,
                    "data_type": custom_field.data_type,
                    "field_type": custom_field.field_type,
                    "value": values.get(custom_field.name),
                }
                for custom_field in self.dataset.custom_fields
            ]
        return json_response({"custom_fields": fields})

    # -- licenses ----------------------------------------------------------------------------

    def list_licenses(self, request: Request) -> Response:
        renderer = self._renderer(request)
        with self.dataset.lock:
            holders: dict[str, int] = {}
            for _, license_tier in self.dataset.license_allocations():
                holders[license_tier.id] = holders.get(license_tier.id, 0) + 1
            licenses = [
                renderer.license(license_tier, holders.get(license_tier.id, 0))
                for license_tier in self.dataset.licenses
            ]
        return json_response({"licenses": licenses})

    def list_license_allocations(self, request: Request) -> Response:
        renderer = self._renderer(request)
        with self.dataset.lock:
            allocations = self.dataset.license_allocations()
        return self._paginate(
            request,
            "license_allocations",
            allocations,
            lambda allocation: renderer.license_allocation(*allocation),
        )

    # -- analytics ---------------------------------------------------------------------------

    def analytics_raw_users(self, request: Request) -> Response:
        """`POST /analytics/raw/users`: one row per user, paged with `starting_after` cursors."""
        body = request.json_body()
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            raise invalid_input("filters must be an object.")
        limit = _integer_parameter(body.get("limit"), "limit", ANALYTICS_MAX_LIMIT)
        if not 1 <= limit <= ANALYTICS_MAX_LIMIT:
            raise arguments_error(f"limit must be between 1 and {ANALYTICS_MAX_LIMIT}.")
        order = body.get("order") or "desc"
        if order not in ("asc", "desc"):
            raise invalid_input("order must be asc or desc.")
        order_by = body.get("order_by") or "user_id"
        sort_keys: dict[str, Callable[[User], Any]] = {
            "user_id": lambda user: user.id,
            "id": lambda user: user.id,
            "name": lambda user: user.name,
            "user_name": lambda user: user.name,
            "email": lambda user: user.email,
            "created_at": lambda user: user.created_at,
            "last_sign_in_at": lambda user: user.last_sign_in_at or 0,
        }
        if order_by not in sort_keys:
            raise invalid_input(f"order_by {order_by!r} is not supported.")
        zone_name = body.get("time_zone") or "Etc/UTC"
        zone = _zone_or_error(zone_name)
        created_start = self._analytics_time(filters.get("created_at_start"), zone)
        created_end = self._analytics_time(filters.get("created_at_end"), zone)
        team_ids = set(filters.get("team_ids") or ())
        user_ids = set(filters.get("user_ids") or ())
        roles = set(filters.get("role_ids") or ()) | set(filters.get("roles") or ())
        sort_key = sort_keys[order_by]
        dataset = self.dataset
        with dataset.lock:
            users = [
                user
                for user in dataset.users
                if user.removed_at is None
                and (created_start is None or user.created_at >= created_start)
                and (created_end is None or user.created_at < created_end)
                and (not user_ids or user.id in user_ids)
                and (not roles or user.role in roles)
                and (
                    not team_ids
                    or any(dataset.teams[index].id in team_ids for index in user.team_indices)
                )
            ]
            users.sort(key=lambda user: (sort_key(user), user.id), reverse=order == "desc")
            position = 0
            starting_after = body.get("starting_after")
            if starting_after:
                cursor = decode_cursor(str(starting_after))
                positions = [index for index, user in enumerate(users) if user.id == cursor["id"]]
                if not positions:
                    raise invalid_input("starting_after does not match a row of this query.")
                position = positions[0] + 1
            page = users[position : position + limit]
            rows = [self._analytics_user_row(user, zone) for user in page]

        def cursor_for(user: User) -> str:
            return encode_cursor({"id": user.id, "value": sort_key(user), "order_by": order_by})

        return json_response(
            {
                "data": rows,
                "first": cursor_for(page[0]) if page else None,
                "last": cursor_for(page[-1]) if page else None,
                "limit": limit,
                "more": position + limit < len(users),
                "order": order,
                "order_by": order_by,
                "filters": filters,
                "time_zone": zone_name,
            }
        )

    def _analytics_user_row(self, user: User, zone: tzinfo) -> dict[str, Any]:
        dataset = self.dataset
        first_team = dataset.teams[user.team_indices[0]] if user.team_indices else None
        return {
            "id": user.id,
            "user_name": user.name,
            "email": user.email,
            "account_id": from_base36(dataset.account_id[1:]) % 1_000_000,
            "description": user.description,
            "time_zone": user.time_zone,
            "role": user.role,
            "team_id": first_team.id if first_team else None,
            "team_name": first_team.name if first_team else None,
            "created_at": format_naive_timestamp(user.created_at, zone),
            "last_sign_in_at": format_naive_timestamp(user.last_sign_in_at, zone),
            "default_notification_channel_count": 1 if user.last_sign_in_at else 0,
            "escalation_policies_count": 1 if user.role in ("owner", "admin", "user") else 0,
            "schedules_count": 1 if user.role in ("admin", "user") else 0,
            "channel_types_configured": ["EmailChannel"]
            + (["SmsChannel", "PushNotificationChannel"] if user.last_sign_in_at else []),
            "team_count": len(user.team_indices),
            "downloaded_mobile_app": bool(user.last_sign_in_at) and user.index % 3 == 0,
            "notification_methods": bool(user.last_sign_in_at),
            "on_escalation_policy": user.role in ("owner", "admin", "user"),
            "on_schedule": user.role in ("admin", "user"),
            "signed_up": user.last_sign_in_at is not None,
        }

    def _analytics_time(self, value: Any, zone: tzinfo) -> int | None:
        if value in (None, ""):
            return None
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError as error:
            raise invalid_input(f"{value!r} is not an ISO 8601 date/time.") from error
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return int(moment.timestamp())

    def analytics_incident_metrics(self, request: Request) -> Response:
        """`POST /analytics/metrics/incidents/all`: aggregates per day, week, month or period."""
        body = request.json_body()
        filters = body.get("filters") or {}
        if not isinstance(filters, dict):
            raise invalid_input("filters must be an object.")
        service_ids = filters.get("service_ids") or []
        team_ids = filters.get("team_ids") or []
        credential = request.credential
        if (
            credential is not None
            and credential.kind == "oauth"
            and not service_ids
            and not team_ids
        ):
            raise arguments_error(
                "A team_ids or service_ids filter is required for user-level API keys or keys "
                "generated through an OAuth flow."
            )
        zone_name = body.get("time_zone") or "Etc/UTC"
        zone = _zone_or_error(zone_name)
        start = self._analytics_time(filters.get("created_at_start"), zone)
        end = self._analytics_time(filters.get("created_at_end"), zone)
        if start is None or end is None:
            raise arguments_error(
                "filters.created_at_start and filters.created_at_end are required."
            )
        if end <= start:
            raise arguments_error("created_at_end must be after created_at_start.")
        if end - start > ANALYTICS_MAX_RANGE_DAYS * 86_400:
            raise arguments_error(
                "The maximum supported time range between created_at_start and created_at_end is one year."
            )
        aggregate_unit = body.get("aggregate_unit")
        if aggregate_unit not in (None, "day", "week", "month"):
            raise invalid_input("aggregate_unit must be day, week or month.")
        urgency = filters.get("urgency")
        if urgency not in (None, "high", "low"):
            raise invalid_input("urgency must be high or low.")
        bucket_start = _bucket_function(aggregate_unit, zone)
        with self.dataset.lock:
            buckets = self.dataset.incident_metrics(
                start=start,
                end=end,
                service_ids=service_ids,
                team_ids=team_ids,
                urgency=urgency,
                priority_ids=filters.get("priority_ids") or None,
                bucket_start=bucket_start,
            )
        rows = []
        for bucket, metrics in buckets:
            if aggregate_unit is not None:
                metrics = {**metrics, "range_start": format_naive_timestamp(bucket, zone)}
            rows.append(metrics)
        if (body.get("order") or "asc") == "desc":
            rows.reverse()
        return json_response(
            {
                "aggregate_unit": aggregate_unit,
                "data": rows,
                "filters": filters,
                "time_zone": zone_name,
                "order": body.get("order") or "asc",
                "order_by": body.get("order_by") or "range_start",
            }
        )

    # -- OAuth identity endpoints ------------------------------------------------------------

    def oauth_authorize_page(self, request: Request) -> Response:
        params = {key: values[-1] for key, values in request.query.items()}
        return self._authorize(params, decision=None)

    def oauth_authorize_decision(self, request: Request) -> Response:
        params = request.form()
        return self._authorize(params, decision=params.get("decision"))

    def _authorize(self, params: dict[str, str], decision: str | None) -> Response:
        try:
            authorization = self.oauth.validate_authorize(params)
        except AuthorizePageError as error:
            return Response(400, error_page(error.message).encode(), HTML_CONTENT_TYPE)
        except AuthorizeRedirect as redirect:
            return _redirect(redirect.location)
        user_id = params.get("user_id") or self._default_authorizing_user(params.get("login_hint"))
        if user_id not in self.dataset.user_by_id:
            return Response(400, error_page("Unknown user.").encode(), HTML_CONTENT_TYPE)
        if decision is None and self.options.oauth_auto_approve:
            decision = "approve"
        if decision == "approve":
            return _redirect(self.oauth.approve(authorization, user_id))
        if decision == "deny":
            return _redirect(self.oauth.deny(authorization))
        page = consent_page(
            authorization,
            subdomain=self.options.subdomain,
            signed_in_choices=self._sign_in_choices(),
            selected_user_id=user_id,
        )
        return Response(200, page.encode(), HTML_CONTENT_TYPE)

    def _default_authorizing_user(self, login_hint: str | None) -> str:
        if login_hint:
            user = self.dataset.user_by_email.get(login_hint.lower())
            if user is not None:
                return user.id
        return self.dataset.users[0].id

    def _sign_in_choices(self) -> list[tuple[str, str]]:
        owner = self.dataset.users[0]
        others = [
            user
            for user in self.dataset.active_users()
            if user.role in ("admin", "user", "limited_user", "read_only_user")
            and user is not owner
        ][:25]
        return [(user.id, f"{user.name} <{user.email}> ({user.role})") for user in [owner, *others]]

    def oauth_token(self, request: Request) -> Response:
        basic_credentials = None
        authorization = request.headers.get("Authorization") or ""
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip()).decode()
                client_id, _, client_secret = decoded.partition(":")
                basic_credentials = (client_id, client_secret)
            except ValueError:
                basic_credentials = ("", "")
        try:
            payload = self.oauth.token(request.form(), basic_credentials)
        except OAuthError as error:
            response = json_response(error.body(), error.status)
            response.headers.append(("Cache-Control", "no-store"))
            return response
        response = json_response(payload)
        response.headers.append(("Cache-Control", "no-store"))
        return response

    def oauth_jwks(self, request: Request) -> Response:
        return json_response(self.oauth.jwks())

    def oauth_openid_configuration(self, request: Request) -> Response:
        return json_response(self.oauth.openid_configuration())

    # -- control endpoints (tests and benchmarks; no auth) ----------------------------------

    def control_health(self, request: Request) -> Response:
        return json_response({"ok": True, "url": self.url})

    def control_summary(self, request: Request) -> Response:
        return json_response(
            {
                **self.dataset.summary(),
                "url": self.url,
                "api_keys": list(self.options.api_keys),
                "oauth_client_id": self.options.oauth_client_id,
                **self.oauth.token_counts(),
            }
        )

    def control_stats(self, request: Request) -> Response:
        return json_response(self.stats())

    def control_reset_stats(self, request: Request) -> Response:
        self.reset_stats()
        return json_response(self.stats())

    def control_get_options(self, request: Request) -> Response:
        return json_response(self.runtime_options())

    def control_set_options(self, request: Request) -> Response:
        try:
            return json_response(self.update_options(**request.json_body()))
        except (InvalidRequestError, TypeError, ValueError) as error:
            return _error_response(invalid_input(str(error)))

    def control_revoke_all_tokens(self, request: Request) -> Response:
        return json_response({"revoked": self.revoke_all_tokens()})

    def control_add_incidents(self, request: Request) -> Response:
        body = _control_body(request)
        try:
            incidents = self.dataset.add_incidents(
                int(body.get("count", 1)),
                status=body.get("status", TRIGGERED),
                service_id=body.get("service_id"),
                urgency=body.get("urgency"),
            )
        except NotFoundError:
            return _error_response(NOT_FOUND)
        except InvalidRequestError as error:
            return _error_response(invalid_input(str(error)))
        renderer = _Renderer(self, None)
        with self.dataset.lock:
            return json_response(
                {"incidents": [renderer.incident(incident, frozenset()) for incident in incidents]}
            )

    def control_resolve_incident(self, request: Request) -> Response:
        body = _control_body(request)
        return self._control_incident_change(
            lambda: self.dataset.resolve_incident(
                request.path_parameters["id"], note=body.get("note"), user_id=body.get("user_id")
            )
        )

    def control_acknowledge_incident(self, request: Request) -> Response:
        body = _control_body(request)
        return self._control_incident_change(
            lambda: self.dataset.acknowledge_incident(
                request.path_parameters["id"], user_id=body.get("user_id")
            )
        )

    def control_add_note(self, request: Request) -> Response:
        body = _control_body(request)
        content = body.get("content") or body.get("note")
        if not content:
            return _error_response(invalid_input("content is required."))
        try:
            note = self.dataset.add_note(
                request.path_parameters["id"], content, user_id=body.get("user_id")
            )
        except NotFoundError:
            return _error_response(NOT_FOUND)
        with self.dataset.lock:
            return json_response({"note": _Renderer(self, None).note(note)})

    def _control_incident_change(self, change: Callable[[], Incident]) -> Response:
        try:
            incident = change()
        except NotFoundError:
            return _error_response(NOT_FOUND)
        with self.dataset.lock:
            return json_response(
                {"incident": _Renderer(self, None).incident(incident, frozenset())}
            )

    def control_remove_user(self, request: Request) -> Response:
        try:
            user = self.dataset.remove_user(request.path_parameters["id"])
        except NotFoundError:
            return _error_response(NOT_FOUND)
        return json_response(
            {"user": {"id": user.id, "removed_at": format_timestamp(user.removed_at)}}
        )

    def control_sign_in_user(self, request: Request) -> Response:
        try:
            user = self.dataset.record_sign_in(request.path_parameters["id"])
        except NotFoundError:
            return _error_response(NOT_FOUND)
        return json_response(
            {"user": {"id": user.id, "last_sign_in_at": format_timestamp(user.last_sign_in_at)}}
        )


# ----------------------------------------------------------------------------- rendering


class _Renderer:
    """Builds PagerDuty's JSON shapes for one request (its time zone and base URLs)."""

    def __init__(self, server: StandinServer, zone: tzinfo | None) -> None:
        self.dataset: Dataset = server.dataset
        self.api = server.url
        self.web = f"https://{server.options.subdomain}.pagerduty.com"
        self.zone = zone

    def time(self, epoch_seconds: int | None) -> str | None:
        return format_timestamp(epoch_seconds, self.zone)

    # references

    def _reference(
        self, kind: str, object_id: str, summary: str, api_path: str, web_path: str | None
    ) -> dict[str, Any]:
        """PagerDuty's `<kind>_reference` shape: id, type, summary, self and (mostly) html_url."""
        reference = {
            "id": object_id,
            "type": f"{kind}_reference",
            "summary": summary,
            "self": f"{self.api}/{api_path}/{object_id}",
        }
        if web_path is not None:
            reference["html_url"] = f"{self.web}/{web_path}/{object_id}"
        return reference

    def user_reference(self, user_index: int) -> dict[str, Any]:
        user = self.dataset.users[user_index]
        return self._reference("user", user.id, user.name, "users", "users")

    def team_reference(self, team: Team) -> dict[str, Any]:
        return self._reference("team", team.id, team.name, "teams", "teams")

    def escalation_policy_reference(self, team: Team) -> dict[str, Any]:
        return self._reference(
            "escalation_policy",
            team.escalation_policy_id,
            f"{team.name} Escalation Policy",
            "escalation_policies",
            "escalation_policies",
        )

    def service_reference(self, service: Service) -> dict[str, Any]:
        return self._reference("service", service.id, service.name, "services", "service-directory")

    def priority_reference(self, priority: Priority) -> dict[str, Any]:
        return self._reference("priority", priority.id, priority.name, "priorities", None)

    def incident_reference(self, incident: Incident) -> dict[str, Any]:
        summary = f"[#{incident.number}] {self.dataset.incident_title(incident)}"
        return self._reference("incident", incident.id, summary, "incidents", "incidents")

    # full objects

    def user(self, user: User, includes: frozenset[str] = frozenset()) -> dict[str, Any]:
        teams = [self.dataset.teams[index] for index in user.team_indices]
        return {
            "id": user.id,
            "type": "user",
            "summary": user.name,
            "self": f"{self.api}/users/{user.id}",
            "html_url": f"{self.web}/users/{user.id}",
            "name": user.name,
            "email": user.email,
            "time_zone": user.time_zone,
            "color": user.color,
            "role": user.role,
            "avatar_url": "https://pd-static-assets.pagerduty.com/users/blank-avatar.png",
            "description": user.description,
            "invitation_sent": user.invitation_sent,
            "created_via_sso": user.created_via_sso,
            "job_title": user.job_title,
            "teams": [
                self.team(team) if "teams" in includes else self.team_reference(team)
                for team in teams
            ],
            "contact_methods": [
                {
                    "id": user.contact_method_id,
                    "type": "email_contact_method_reference",
                    "summary": "Default",
                    "self": f"{self.api}/users/{user.id}/contact_methods/{user.contact_method_id}",
                    "html_url": None,
                }
            ],
            "notification_rules": [
                {
                    "id": user.notification_rule_id,
                    "type": "assignment_notification_rule_reference",
                    "summary": "Default",
                    "self": (
                        f"{self.api}/users/{user.id}/notification_rules/{user.notification_rule_id}"
                    ),
                    "html_url": None,
                }
            ],
            "coordinated_incidents": [],
        }

    def team(self, team: Team) -> dict[str, Any]:
        return {
            **self.team_reference(team),
            "type": "team",
            "name": team.name,
            "description": team.description,
            "default_role": "manager",
            "parent": None,
        }

    def integration(self, service: Service, integration: Integration, full: bool) -> dict[str, Any]:
        reference = {
            "id": integration.id,
            "type": integration.type if full else f"{integration.type}_reference",
            "summary": integration.name,
            "self": f"{self.api}/services/{service.id}/integrations/{integration.id}",
            "html_url": f"{self.web}/services/{service.id}/integrations/{integration.id}",
        }
        if not full:
            return reference
        details: dict[str, Any] = {
            **reference,
            "name": integration.name,
            "service": self.service_reference(service),
            "created_at": self.time(integration.created_at),
            "vendor": None,
        }
        if integration.integration_email is not None:
            details.update(
                {
                    "integration_email": integration.integration_email,
                    "email_incident_creation": "on_new_email",
                    "email_filter_mode": "all-email",
                    "email_parsing_fallback": "open_new_incident",
                    "email_parsers": [],
                    "email_filters": [],
                }
            )
        if integration.integration_key is not None:
            details["integration_key"] = integration.integration_key
        return details

    def service(self, service: Service, includes: frozenset[str] = frozenset()) -> dict[str, Any]:
        team = self.dataset.teams[service.team_index]
        if service.disabled:
            status = "disabled"
        elif service.triggered_count:
            status = "critical"
        elif service.acknowledged_count:
            status = "warning"
        else:
            status = "active"
        escalation_policy = self.escalation_policy_reference(team)
        if "escalation_policies" in includes:
            escalation_policy = {
                **escalation_policy,
                "type": "escalation_policy",
                "name": escalation_policy["summary"],
            }
        return {
            **self.service_reference(service),
            "type": "service",
            "name": service.name,
            "description": service.description,
            "auto_resolve_timeout": service.auto_resolve_timeout,
            "acknowledgement_timeout": service.acknowledgement_timeout,
            "created_at": self.time(service.created_at),
            "status": status,
            "last_incident_timestamp": self.time(service.last_incident_at),
            "escalation_policy": escalation_policy,
            "response_play": None,
            "teams": [self.team(team) if "teams" in includes else self.team_reference(team)],
            "integrations": [
                self.integration(service, integration, "integrations" in includes)
                for integration in service.integrations
            ],
            "incident_urgency_rule": {"type": "constant", "urgency": "high"},
            "support_hours": None,
            "scheduled_actions": [],
            "addons": [],
            "alert_creation": "create_alerts_and_incidents",
            "alert_grouping_parameters": {"type": None, "config": None},
            "auto_pause_notifications_parameters": {"enabled": False, "timeout": None},
        }

    def priority(self, priority: Priority) -> dict[str, Any]:
        return {
            "id": priority.id,
            "type": "priority",
            "summary": priority.name,
            "self": f"{self.api}/priorities/{priority.id}",
            "html_url": None,
            "name": priority.name,
            "description": priority.description,
            "color": priority.color,
        }

    def incident(self, incident: Incident, includes: frozenset[str]) -> dict[str, Any]:
        dataset = self.dataset
        service = dataset.services[incident.service_index]
        team = dataset.teams[service.team_index]
        title = dataset.incident_title(incident)
        expand_users = "users" in includes

        def person(user_index: int, include_name: str) -> dict[str, Any]:
            if expand_users or include_name in includes:
                return self.user(dataset.users[user_index])
            return self.user_reference(user_index)

        assignments = []
        acknowledgements = []
        if incident.status in OPEN_STATUSES:
            assignments.append(
                {
                    "at": self.time(incident.created_at),
                    "assignee": person(incident.assignee_index, "assignees"),
                }
            )
        if incident.status == ACKNOWLEDGED and incident.acknowledged_at is not None:
            acknowledgements.append(
                {
                    "at": self.time(incident.acknowledged_at),
                    "acknowledger": person(incident.acknowledger_index, "acknowledgers"),
                }
            )
        if incident.status == RESOLVED:
            resolved_alerts = incident.alert_count
        else:
            resolved_alerts = incident.index % incident.alert_count
        if incident.status == RESOLVED and incident.resolver_index >= 0:
            status_changed_by = self.user_reference(incident.resolver_index)
        elif incident.status == ACKNOWLEDGED and incident.acknowledger_index >= 0:
            status_changed_by = self.user_reference(incident.acknowledger_index)
        else:
            status_changed_by = self.service_reference(service)
        priority = (
            dataset.priorities[incident.priority_index] if incident.priority_index >= 0 else None
        )
        first_trigger_record = LogEntryRecord(
            LOG_KIND_TRIGGER, incident.created_at, -1, incident.trigger_channel, sequence=0
        )
        if "first_trigger_log_entries" in includes:
            first_trigger = self.log_entry(incident, first_trigger_record, frozenset())
        else:
            first_trigger = self.log_entry_reference(incident, first_trigger_record)
        return {
            "id": incident.id,
            "type": "incident",
            "summary": f"[#{incident.number}] {title}",
            "self": f"{self.api}/incidents/{incident.id}",
            "html_url": f"{self.web}/incidents/{incident.id}",
            "incident_number": incident.number,
            "title": title,
            "description": title,
            "created_at": self.time(incident.created_at),
            "updated_at": self.time(incident.updated_at),
            "status": incident.status,
            "incident_key": dataset.incident_key_text(incident),
            "service": (
                self.service(service) if "services" in includes else self.service_reference(service)
            ),
            "assignments": assignments,
            "assigned_via": "escalation_policy",
            "last_status_change_at": self.time(incident.last_status_change_at),
            "last_status_change_by": status_changed_by,
            "resolved_at": self.time(incident.resolved_at),
            "first_trigger_log_entry": first_trigger,
            "alert_counts": {
                "all": incident.alert_count,
                "triggered": incident.alert_count - resolved_alerts,
                "resolved": resolved_alerts,
            },
            "is_mergeable": True,
            "incident_type": {"name": "incident_default"},
            "escalation_policy": self.escalation_policy_reference(team),
            "teams": [self.team(team) if "teams" in includes else self.team_reference(team)],
            "pending_actions": [],
            "acknowledgements": acknowledgements,
            "alert_grouping": None,
            "priority": (
                (
                    self.priority(priority)
                    if "priorities" in includes
                    else self.priority_reference(priority)
                )
                if priority
                else None
            ),
            "resolve_reason": None,
            "conference_bridge": None,
            "incidents_responders": [],
            "responder_requests": [],
            "urgency": incident.urgency,
        }

    def log_entry_reference(self, incident: Incident, record: LogEntryRecord) -> dict[str, Any]:
        entry_id = self.dataset.log_entry_id(incident, record.sequence)
        return {
            "id": entry_id,
            "type": f"{record.kind}_reference",
            "summary": self._log_summary(incident, record),
            "self": f"{self.api}/log_entries/{entry_id}",
            "html_url": f"{self.web}/incidents/{incident.id}/log_entries/{entry_id}",
        }

    def _log_summary(self, incident: Incident, record: LogEntryRecord) -> str:
        dataset = self.dataset
        actor_name = dataset.users[record.actor_index].name if record.actor_index >= 0 else None
        if record.kind == LOG_KIND_TRIGGER:
            return {
                "api": "Triggered through the API.",
                "email": "Triggered through email.",
                "web_trigger": "Triggered through the website.",
            }[record.detail]
        if record.kind == LOG_KIND_ASSIGN:
            return f"Assigned to {dataset.users[record.detail].name}."
        if record.kind == LOG_KIND_NOTIFY:
            user_index, notification_type = record.detail
            return f"Notified {dataset.users[user_index].name} by {NOTIFICATION_LABELS[notification_type]}."
        if record.kind == LOG_KIND_ACKNOWLEDGE:
            return f"Acknowledged by {actor_name}."
        if record.kind == LOG_KIND_ANNOTATE:
            return record.detail.content
        if record.kind == LOG_KIND_RESOLVE:
            return f"Resolved by {actor_name}." if actor_name else "Resolved through the API."
        return record.kind

    def log_entry(
        self, incident: Incident, record: LogEntryRecord, includes: frozenset[str]
    ) -> dict[str, Any]:
        dataset = self.dataset
        service = dataset.services[incident.service_index]
        team = dataset.teams[service.team_index]
        with_channels = "channels" in includes
        title = dataset.incident_title(incident)
        agent = (
            self.user_reference(record.actor_index)
            if record.actor_index >= 0
            else self.service_reference(service)
        )
        channel: dict[str, Any]
        extra: dict[str, Any] = {}
        if record.kind == LOG_KIND_TRIGGER:
            channel = {"type": record.detail}
            if with_channels:
                channel["summary"] = title
                if record.detail == "email":
                    email = next(
                        (i.integration_email for i in service.integrations if i.integration_email),
                        None,
                    )
                    channel.update(
                        {"to": email, "from": "alerts@monitoring.example.com", "subject": title}
                    )
                else:
                    channel.update(
                        {
                            "incident_key": dataset.incident_key_text(incident),
                            "details": {"source": "monitoring"},
                        }
                    )
            extra["event_details"] = {"description": title}
        elif record.kind == LOG_KIND_ASSIGN:
            channel = {"type": "auto"}
            extra["assignees"] = [self.user_reference(record.detail)]
        elif record.kind == LOG_KIND_NOTIFY:
            user_index, notification_type = record.detail
            channel = {"type": "auto"}
            if with_channels:
                user = dataset.users[user_index]
                channel["notification"] = {
                    "type": notification_type,
                    "status": "success",
                    "address": user.email
                    if notification_type in ("email_notification", "push_notification")
                    else f"+1555{user.index % 10_000_000:07d}",
                    "started_at": self.time(record.at),
                }
            extra["user"] = self.user_reference(user_index)
        elif record.kind == LOG_KIND_ANNOTATE:
            channel = {"type": "note"}
            if with_channels:
                channel["summary"] = record.detail.content
        elif record.kind == LOG_KIND_RESOLVE and record.actor_index < 0:
            channel = {"type": "api" if incident.index % 2 else "timeout"}
        else:
            channel = {"type": "website"}
        if record.kind == LOG_KIND_ACKNOWLEDGE:
            extra["acknowledgement_timeout"] = service.acknowledgement_timeout
        reference = self.log_entry_reference(incident, record)
        return {
            **reference,
            "type": record.kind,
            "created_at": self.time(record.at),
            "agent": agent,
            "channel": channel,
            "service": (
                self.service(service) if "services" in includes else self.service_reference(service)
            ),
            "incident": (
                self.incident(incident, frozenset())
                if "incidents" in includes
                else self.incident_reference(incident)
            ),
            "teams": [self.team(team) if "teams" in includes else self.team_reference(team)],
            "contexts": [],
            **extra,
        }

    def note(self, note: Note) -> dict[str, Any]:
        return {
            "id": note.id,
            "user": self.user_reference(note.user_index),
            "channel": {"summary": "The PagerDuty website or APIs"},
            "content": note.content,
            "created_at": self.time(note.created_at),
            "updated_at": self.time(note.created_at),
        }

    def license(self, license_tier: License, holders: int) -> dict[str, Any]:
        return {
            **self._license_core(license_tier),
            "current_value": holders,
            "allocations_available": max(0, license_tier.purchased - holders),
        }

    def _license_core(self, license_tier: License) -> dict[str, Any]:
        return {
            "id": license_tier.id,
            "name": license_tier.name,
            "description": license_tier.description,
            "valid_roles": list(license_tier.valid_roles),
            "role_group": license_tier.role_group,
            "summary": license_tier.name,
            "type": "license",
            "self": None,
            "html_url": None,
        }

    def license_allocation(self, user: User, license_tier: License) -> dict[str, Any]:
        return {
            "license": self._license_core(license_tier),
            "user": {"id": user.id, "type": "user_reference"},
            "allocated_at": self.time(user.created_at),
        }


# ----------------------------------------------------------------------------- HTTP plumbing


class _StandinHTTPServer(ThreadingHTTPServer):
    """Threaded server that remembers open connections so `stop()` can close keep-alives."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: StandinServer) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _RequestHandler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def close_open_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    """Socket I/O only; `StandinServer.handle` decides every answer."""

    protocol_version = "HTTP/1.1"
    server_version = "pagerduty-standin/1.0"
    timeout = 60
    server: _StandinHTTPServer

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def do_PUT(self) -> None:
        self._answer("PUT")

    def do_DELETE(self) -> None:
        self._answer("DELETE")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        response = self.server.app.handle(method, self.path, self.headers, body)
        self.send_response(response.status)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.app.options.log_requests:
            super().log_message(format, *args)


# ----------------------------------------------------------------------------- small helpers


def _error_response(error: ApiError) -> Response:
    return json_response(error.body(), error.status)


def _redirect(location: str) -> Response:
    return Response(302, b"", content_type=None, headers=[("Location", location)])


def _injected_server_error(roll: float) -> Response:
    """A 500 with PagerDuty's JSON body, or a 502/503 HTML page from the load balancer."""
    if roll < 0.4:
        return _error_response(
            ApiError(500, "An internal error has occurred. PagerDuty team has been notified.", 2000)
        )
    status, reason = (502, "Bad Gateway") if roll < 0.7 else (503, "Service Unavailable")
    page = f"<html><body><h1>{status} {reason}</h1></body></html>"
    return Response(status, page.encode(), HTML_CONTENT_TYPE)


def _integer_parameter(value: Any, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise invalid_input(f"{name} must be an integer.") from error


def _incident_sort(sort_by: str | None) -> tuple[str, bool]:
    """The first `field:direction` of `sort_by`; PagerDuty defaults to ascending."""
    if not sort_by:
        return "created_at", False
    first = sort_by.split(",")[0].strip()
    field_name, _, direction = first.partition(":")
    if field_name not in ("created_at", "incident_number", "resolved_at", "urgency"):
        raise invalid_input(f"sort_by field {field_name!r} is not supported.")
    if direction not in ("", "asc", "desc"):
        raise invalid_input(f"sort_by direction {direction!r} must be asc or desc.")
    return field_name, direction == "desc"


def _sorted_by_field(
    dataset: Dataset, indices: Iterable[int], field_name: str, descending: bool
) -> list[int]:
    incidents = dataset.incidents
    if field_name == "resolved_at":
        key: Callable[[int], Any] = lambda index: (  # noqa: E731
            incidents[index].resolved_at is None,
            incidents[index].resolved_at or 0,
            index,
        )
    else:
        key = lambda index: (incidents[index].urgency != "high", index)  # noqa: E731
    return sorted(indices, key=key, reverse=descending)


def _zone_or_utc(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _zone_or_error(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise invalid_input(f"Time zone {name!r} is not a valid time zone.") from error


def _bucket_function(aggregate_unit: str | None, zone: tzinfo) -> Callable[[int], int | None]:
    """Maps a creation time to the start of its day, ISO week or month in `zone`."""
    if aggregate_unit is None:
        return lambda epoch_seconds: None

    def bucket_start(epoch_seconds: int) -> int:
        local = datetime.fromtimestamp(epoch_seconds, tz=zone)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if aggregate_unit == "week":
            day -= timedelta(days=day.weekday())
        elif aggregate_unit == "month":
            day = day.replace(day=1)
        return int(day.timestamp())

    return bucket_start


def _control_body(request: Request) -> dict[str, Any]:
    try:
        return request.json_body()
    except ApiError:
        return {}


def options_as_dict(options: StandinOptions) -> dict[str, Any]:
    """Options as plain JSON-friendly values (for printing in the management command)."""
    values = asdict(options)
    if options.now is not None:
        values["now"] = options.now.isoformat()
    return values
