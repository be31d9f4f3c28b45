"""Faults switched on at runtime through `/_control/options`: server errors, truncated JSON, latency."""

from __future__ import annotations

import time

import pytest

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import api_get, control

pytestmark = pytest.mark.standin


def test_error_rate_of_one_gives_server_errors(fresh_server: StandinServer) -> None:
    control(fresh_server, "/options", {"error_rate": 1.0})

    statuses = {api_get(fresh_server, "/users").status_code for _ in range(12)}

    assert statuses <= {500, 502, 503}
    control(fresh_server, "/options", {"error_rate": 0.0})
    assert api_get(fresh_server, "/users").status_code == 200


def test_malformed_rate_of_one_gives_invalid_json(fresh_server: StandinServer) -> None:
    control(fresh_server, "/options", {"malformed_rate": 1.0})

    response = api_get(fresh_server, "/users")

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_latency_is_added_to_rest_calls(fresh_server: StandinServer) -> None:
    control(fresh_server, "/options", {"latency_ms": 200})

    started = time.perf_counter()
    api_get(fresh_server, "/abilities")

    assert time.perf_counter() - started >= 0.2
