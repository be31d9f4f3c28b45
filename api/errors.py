"""One error body for every API error: `{"error": {"code", "message", "fields"}}`.

`code` is stable and machine-readable (`not_authenticated`, `authentication_failed`,
`permission_denied`, `not_found`, `invalid`, `conflict`, `method_not_allowed`, `throttled`, ...);
`message` is a sentence for people; `fields` maps each bad input field (body or query string)
to its messages, and is `{}` when no field is to blame.
"""

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler


class Conflict(APIException):
    """The change cannot happen in the object's current state (a sync already running)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "This conflicts with the current state."


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, list):
        return [message for item in detail for message in _messages(item)]
    if isinstance(detail, dict):
        return [
            f"{key}: {message}" for key, value in detail.items() for message in _messages(value)
        ]
    return [str(detail)]


def error_body(*, code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's 500 handling and logging
    if isinstance(exc, ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        general = _messages(detail.get("non_field_errors", []))
        fields = {
            name: _messages(value) for name, value in detail.items() if name != "non_field_errors"
        }
        message = " ".join(general) or "Some fields are invalid: " + ", ".join(sorted(fields)) + "."
        response.data = error_body(code="invalid", message=message, fields=fields)
        return response
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", None)
    if hasattr(detail, "code") and detail.code:
        code = detail.code
    if code == "not_found" or response.status_code == status.HTTP_404_NOT_FOUND:
        code, detail = "not_found", "Not found."
    response.data = error_body(code=str(code), message=" ".join(_messages(detail or "")))
    return response
