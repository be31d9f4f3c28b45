"""PagerDuty's HTTP conventions: requests with `name[]` arrays, JSON error bodies, routes.

Every endpoint module (`users`, `services`, `incidents`, ...) speaks through these types; the
server only matches a route and calls its handler.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"


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


def invalid_date_range(detail: str) -> ApiError:
    """PagerDuty's 400 for `since` after `until` (code 2005)."""
    return ApiError(400, "Invalid Query Date Range", 2005, [detail])


UNAUTHORIZED = ApiError(401, "Authentication failed", 2006)
NOT_FOUND = ApiError(404, "Not Found", 2100)
METHOD_NOT_ALLOWED = ApiError(405, "Method Not Allowed", 2100)
INTERNAL_ERROR = ApiError(
    500, "An internal error has occurred. PagerDuty team has been notified.", 2000
)


@dataclass
class Response:
    """What the HTTP layer writes back: status, body bytes and headers."""

    status: int
    body: bytes = b""
    content_type: str | None = JSON_CONTENT_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(payload, separators=(",", ":")).encode())


def error_response(error: ApiError) -> Response:
    return json_response(error.body(), error.status)


def html_response(page: str, status: int = 200) -> Response:
    return Response(status, page.encode(), HTML_CONTENT_TYPE)


def redirect_response(location: str) -> Response:
    return Response(302, b"", content_type=None, headers=[("Location", location)])


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

    def search(self) -> str:
        """The `query` parameter of list endpoints, matched case-insensitively."""
        return (self.one("query") or "").lower()

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


Handler = Callable[["StandinServer", Request], Response]


@dataclass(frozen=True)
class Route:
    """One endpoint: method, path template, handler, kind and required OAuth scope.

    `kind` is "rest" (authenticated, rate limited, faults injected), "identity" (OAuth) or
    "control" (the stand-in's own test controls).
    """

    method: str
    template: str
    handler: Handler
    kind: str
    scope: str | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        return _compile_template(self.template)


@functools.cache
def _compile_template(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return re.compile(f"^{regex}/?$")


def integer_parameter(value: Any, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise invalid_input(f"{name} must be an integer.") from error


def time_zone_parameter(name: str) -> tzinfo:
    """A time zone the client named; an unknown name is PagerDuty's 400."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise invalid_input(f"Time zone {name!r} is not a valid time zone.") from error


def request_zone(request: Request) -> tzinfo | None:
    """The `time_zone` query parameter: PagerDuty renders times with that zone's offset."""
    name = request.one("time_zone")
    return time_zone_parameter(name) if name else None
