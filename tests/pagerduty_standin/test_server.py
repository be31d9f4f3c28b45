"""Authentication (API key or OAuth token, else 401) and the per-route request statistics."""

from __future__ import annotations

import pytest
import requests

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import api_get, control

pytestmark = pytest.mark.standin


def test_unknown_api_key_is_a_401(server: StandinServer) -> None:
    response = requests.get(
        f"{server.url}/users", headers={"Authorization": "Token token=wrong"}, timeout=10
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 2006


def test_missing_authorization_is_a_401(server: StandinServer) -> None:
    assert requests.get(f"{server.url}/users", timeout=10).status_code == 401


def test_stats_count_requests_per_route(fresh_server: StandinServer) -> None:
    control(fresh_server, "/stats/reset")
    api_get(fresh_server, "/users")
    api_get(fresh_server, "/users")
    api_get(fresh_server, f"/users/{fresh_server.dataset.users[0].id}")

    stats = requests.get(f"{fresh_server.url}/_control/stats", timeout=5).json()

    assert stats["total"] == 3
    assert stats["by_route"] == {"GET /users": 2, "GET /users/{id}": 1}
