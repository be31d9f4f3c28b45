"""Fixtures and helpers for the stand-in's specification: small deterministic servers, plain HTTP
calls as a client makes them, and the browser side of the OAuth dance.

The stand-in must behave like PagerDuty, not like our client hopes: these tests pin the rules a
naive integration trips over, so the app's integration tests and benchmarks exercise the real
failure modes. No database is needed.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from pagerduty_standin import (
    DEFAULT_API_KEY,
    DEFAULT_OAUTH_CLIENT_ID,
    DEFAULT_OAUTH_CLIENT_SECRET,
    StandinOptions,
    StandinServer,
)

FIXED_NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
REDIRECT_URI = "http://app.example.test/integrations/pagerduty/callback"
APP_SCOPES = (
    "users.read services.read incidents.read priorities.read abilities.read licenses.read "
    "analytics.write"
)
API_KEY_HEADERS = {
    "Authorization": f"Token token={DEFAULT_API_KEY}",
    "Accept": "application/vnd.pagerduty+json;version=2",
}


def small_options(**overrides: Any) -> StandinOptions:
    values: dict[str, Any] = {
        "seed": 7,
        "incident_count": 3000,
        "user_count": 120,
        "service_count": 12,
        "now": FIXED_NOW,
        "rate_limit_per_minute": 100_000,
    }
    values.update(overrides)
    return StandinOptions(**values)


@pytest.fixture(scope="session")
def server() -> Iterator[StandinServer]:
    """One shared read-only server; tests that change data or options use `fresh_server`."""
    with StandinServer(small_options()) as running:
        yield running


@pytest.fixture
def fresh_server() -> Iterator[StandinServer]:
    with StandinServer(
        small_options(incident_count=400, user_count=40, service_count=6)
    ) as running:
        yield running


def api_get(server: StandinServer, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{server.url}{path}", headers=API_KEY_HEADERS, params=params, timeout=10)


def control(server: StandinServer, path: str, payload: dict[str, Any] | None = None) -> Any:
    response = requests.post(f"{server.url}/_control{path}", json=payload or {}, timeout=10)
    response.raise_for_status()
    return response.json()


def list_all(server: StandinServer, path: str, collection: str, **params: Any) -> list[Any]:
    """Follow classic pagination to the end, as a client would."""
    items: list[Any] = []
    offset = 0
    while True:
        body = api_get(server, path, limit=100, offset=offset, **params).json()
        items.extend(body[collection])
        if not body["more"]:
            return items
        offset += 100


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def make_pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize(
    server: StandinServer,
    challenge: str,
    *,
    decision: str = "approve",
    scope: str = APP_SCOPES,
    state: str = "state-123",
) -> dict[str, list[str]]:
    """Walk the consent page like a browser and return the redirect's query parameters."""
    params = {
        "response_type": "code",
        "client_id": DEFAULT_OAUTH_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = requests.get(f"{server.url}/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200
    assert "Approve" in page.text and "Deny" in page.text
    response = requests.post(
        f"{server.url}/oauth/authorize",
        data={**params, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return parse_qs(location.query)


def exchange_code(server: StandinServer, code: str, verifier: str) -> requests.Response:
    return requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": DEFAULT_OAUTH_CLIENT_ID,
            "client_secret": DEFAULT_OAUTH_CLIENT_SECRET,
            "redirect_uri": REDIRECT_URI,
            "code": code,
            "code_verifier": verifier,
        },
        timeout=10,
    )


def refresh(server: StandinServer, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": DEFAULT_OAUTH_CLIENT_ID,
            "client_secret": DEFAULT_OAUTH_CLIENT_SECRET,
            "refresh_token": refresh_token,
        },
        timeout=10,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
