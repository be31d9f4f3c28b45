"""A local HTTP server that behaves like the parts of PagerDuty this project talks to.

It serves the REST API v2 subset (users, services, priorities, incidents, log entries, notes,
custom field values, licenses, abilities, analytics; see `api/`) and the Scoped OAuth identity
endpoints (`oauth/`) on one port, with PagerDuty's real rules rather than what a client might
hope for (`api/limits.py`): the 100-item page cap, the 10,000 offset ceiling, the one-month
default and six-month maximum incident range, `since` filtering on creation time, per-credential
rate limits with sometimes-missing headers, scopes checked per endpoint, rotating refresh tokens.
Faults (`api/faults.py`: errors, latency, malformed bodies, revoked tokens) can be switched on at
runtime through `/_control/options` (`api/control.py`).

Start it in a test with `StandinServer(StandinOptions(port=0)).start()` and read `.url`.
"""

from __future__ import annotations

import contextlib
import re
import socket
import sys
import threading
import time
import traceback
from dataclasses import replace
from datetime import UTC, tzinfo
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pagerduty_standin.account.dataset import Dataset
from pagerduty_standin.account.records import InvalidRequestError, NotFoundError
from pagerduty_standin.api import (
    analytics,
    audit,
    control,
    incidents,
    licenses,
    notifications,
    services,
    users,
)
from pagerduty_standin.api.faults import (
    FaultInjector,
    add_latency,
    headerless_rate_limit_response,
    injected_server_error,
    truncated,
)
from pagerduty_standin.api.limits import RateLimiter
from pagerduty_standin.api.protocol import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    UNAUTHORIZED,
    ApiError,
    Credential,
    Request,
    Response,
    Route,
    error_response,
    invalid_input,
)
from pagerduty_standin.generate import generate_dataset
from pagerduty_standin.oauth import endpoints as oauth_endpoints
from pagerduty_standin.oauth.provider import OAuthProvider, OAuthSettings
from pagerduty_standin.options import RUNTIME_OPTION_NAMES, StandinOptions

ROUTES: tuple[Route, ...] = (
    *users.ROUTES,
    *services.ROUTES,
    *incidents.ROUTES,
    *licenses.ROUTES,
    *analytics.ROUTES,
    *notifications.ROUTES,
    *audit.ROUTES,
    *oauth_endpoints.ROUTES,
    *control.ROUTES,
)


class StandinServer:
    """The stand-in: a generated PagerDuty account behind a threaded HTTP server.

    The socket is bound in the constructor, so `url` is known before `start()`. `port=0` picks a
    free port. Use `start()`/`stop()` (or `with StandinServer(...) as server:`) in tests and
    `serve_forever()` in the management command. `api/control.py` lists the `/_control/`
    endpoints tests use to change the account and the faults while it runs.
    """

    def __init__(
        self, options: StandinOptions | None = None, *, dataset: Dataset | None = None
    ) -> None:
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
        self._faults = FaultInjector(self.options.seed)
        self._rate_limiter = RateLimiter()
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
            response = error_response(METHOD_NOT_ALLOWED if path_allowed else NOT_FOUND)
            if not is_control:
                self._count(f"{method} (unmatched)", method, response.status)
            return response
        try:
            if route.kind == "rest":
                response = self._handle_rest(route, request)
            else:
                response = route.handler(self, request)
        except Exception as error:  # noqa: BLE001 - any bug must become PagerDuty's 500, not a dropped socket
            response = _error_as_response(error)
        if not is_control:
            self._count(f"{route.method} {route.template}", method, response.status)
        return response

    def _handle_rest(self, route: Route, request: Request) -> Response:
        """Latency, injected faults, authentication, rate limit, scope - then the endpoint."""
        options = self.options
        add_latency(options.latency_ms)
        rolls = self._faults.roll()
        if rolls.error < options.error_rate:
            return injected_server_error(rolls.status)
        credential = self._authenticate(request.headers)
        request.credential = credential
        decision = self._rate_limiter.take(
            credential.rate_limit_identity, options.rate_limit_per_minute
        )
        if not decision.allowed:
            if self._faults.roll_one() >= options.rate_limit_headers_probability:
                return headerless_rate_limit_response()
            response = error_response(ApiError(429, "Rate Limit Exceeded", 2020))
            response.headers.extend(decision.headers())
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
            response = route.handler(self, request)
        except (ApiError, NotFoundError, InvalidRequestError) as error:
            response = _error_as_response(error)
        if response.status == 200 and rolls.malformed < options.malformed_rate and response.body:
            response = truncated(response)
        if decision.limit > 0:
            response.headers.extend(decision.headers())
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


def _error_as_response(error: Exception) -> Response:
    """PagerDuty's JSON error for what a handler raised; anything unexpected is a logged 500."""
    if isinstance(error, ApiError):
        return error_response(error)
    if isinstance(error, NotFoundError):
        return error_response(NOT_FOUND)
    if isinstance(error, InvalidRequestError):
        return error_response(invalid_input(str(error)))
    traceback.print_exception(error, file=sys.stderr)
    return error_response(INTERNAL_ERROR)


def _zone_or_utc(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC
