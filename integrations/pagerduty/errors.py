"""What can go wrong talking to PagerDuty, as typed errors a caller reacts to per class.

``PagerDutyUnauthorized`` means "reconnect", ``PagerDutyForbidden`` "a scope or permission is
missing", ``PagerDutyPaymentRequired`` "the plan lacks the feature", ``PagerDutyTransientError``
"try later", ``PagerDutyMalformedResponse`` "PagerDuty (or a proxy) sent something unreadable".
Every ``message`` is safe to show to users and says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

# Which Scoped OAuth scope each endpoint the client calls needs (``x-pd-requires-scope`` in
# PagerDuty's OpenAPI spec), so a 403 can tell the user what to grant.
ENDPOINT_SCOPES: dict[str, str] = {
    "/users": "users.read",
    "/services": "services.read",
    "/priorities": "priorities.read",
    "/incidents": "incidents.read",
    "/incidents/{id}": "incidents.read",
    "/incidents/{id}/custom_fields/values": "incidents.read",
    "/log_entries": "incidents.read",
    "/licenses": "licenses.read",
    "/license_allocations": "licenses.read",
    "/analytics/raw/users": "analytics.write",
    "/notifications": "users:notifications.read",
}


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
    """402: the account's plan does not include the feature this endpoint needs."""


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


def error_for_response(response: requests.Response, method: str, template: str) -> PagerDutyError:
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
