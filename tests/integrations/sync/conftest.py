"""Fixtures for sync tests: stand-in servers on free ports and clients that never really sleep."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from integrations.models import AuthType, Connection
from integrations.pagerduty.client import PagerDutyClient
from integrations.pagerduty.connect import client_for_connection
from pagerduty_standin import DEFAULT_API_KEY, StandinOptions, StandinServer
from tests.conftest import point_settings_at
from tests.factories import ConnectionFactory

# The stand-in spreads generated incidents over the last two years; read all of them.
BACKFILL_COVERING_EVERYTHING_DAYS = 800


class FakeSleep:
    """Stands in for time.sleep in the client: records the delays, never waits."""

    def __init__(self, on_sleep: Callable[[float], None] | None = None) -> None:
        self.delays: list[float] = []
        self._on_sleep = on_sleep

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self._on_sleep is not None:
            self._on_sleep(seconds)


def small_standin_options(**overrides: Any) -> StandinOptions:
    values: dict[str, Any] = {
        "port": 0,
        "seed": 11,
        "incident_count": 400,
        "user_count": 60,
        "service_count": 8,
        "subdomain": "acme",
        "rate_limit_per_minute": 0,
    }
    values.update(overrides)
    return StandinOptions(**values)


@pytest.fixture
def start_standin(settings) -> Iterator[Callable[..., StandinServer]]:
    """Start a stand-in with the given options; the app's settings point at the last one."""
    servers: list[StandinServer] = []
    settings.INCIDENT_BACKFILL_DAYS = BACKFILL_COVERING_EVERYTHING_DAYS

    def start(options: StandinOptions | None = None, **overrides: Any) -> StandinServer:
        server = StandinServer(options or small_standin_options(**overrides)).start()
        servers.append(server)
        point_settings_at(settings, server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def standin_server(start_standin) -> StandinServer:
    return start_standin()


def api_key_connection(organization: Any, server: StandinServer) -> Connection:
    return ConnectionFactory(
        organization=organization,
        auth_type=AuthType.API_KEY,
        api_key=DEFAULT_API_KEY,
        subdomain=server.options.subdomain,
    )


def oauth_connection(organization: Any, server: StandinServer, scopes: str) -> Connection:
    """An OAuth connection holding an app token (client credentials) with the given scopes."""
    response = requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": server.options.oauth_client_id,
            "client_secret": server.options.oauth_client_secret,
            "scope": f"as_account-us.{server.options.subdomain} {scopes}",
        },
        timeout=10,
    )
    response.raise_for_status()
    token = response.json()
    return ConnectionFactory(
        organization=organization,
        auth_type=AuthType.OAUTH,
        api_key="",
        access_token=token["access_token"],
        refresh_token="",
        granted_scopes=sorted(token["scope"].split()[1:]),
        subdomain=server.options.subdomain,
    )


def quick_client(connection: Connection, **options: Any) -> PagerDutyClient:
    """The real client for the connection, without the shared budget and without waiting."""
    options.setdefault("budget", None)
    options.setdefault("sleep", FakeSleep())
    return client_for_connection(connection, **options)


def control(server: StandinServer, path: str, payload: dict[str, Any] | None = None) -> Any:
    response = requests.post(f"{server.url}/_control{path}", json=payload or {}, timeout=10)
    response.raise_for_status()
    return response.json()


def standin_summary(server: StandinServer) -> dict[str, Any]:
    response = requests.get(f"{server.url}/_control/summary", timeout=10)
    response.raise_for_status()
    return response.json()


def standin_stats(server: StandinServer) -> dict[str, Any]:
    response = requests.get(f"{server.url}/_control/stats", timeout=10)
    response.raise_for_status()
    return response.json()
