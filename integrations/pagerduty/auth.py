"""How requests to PagerDuty are authorized: a REST API key or an OAuth bearer token.

The client asks its ``Authorizer`` for the Authorization header of every attempt and, after a
401, once for a fresh token (the refresh hook); only OAuth tokens can be refreshed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


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
