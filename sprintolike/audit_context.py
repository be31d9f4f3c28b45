"""Facts every audit event of the current request carries, such as the API token that made
the change (a token has no user to record as the actor). Context variables keep them per
request, whatever thread or task serves it."""

from contextvars import ContextVar, Token
from typing import Any

_facts: ContextVar[dict[str, Any] | None] = ContextVar("audit_facts", default=None)


def audit_facts_set(**facts: Any) -> Token:
    """Add facts until `audit_facts_reset(token)`."""
    return _facts.set({**(_facts.get() or {}), **facts})


def audit_facts_reset(token: Token) -> None:
    _facts.reset(token)


def audit_facts() -> dict[str, Any]:
    return dict(_facts.get() or {})
