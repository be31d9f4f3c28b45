"""PagerDuty Analytics: raw users with cursor paging, incident metrics per period, OAuth filters."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import (
    API_KEY_HEADERS,
    api_get,
    authorize,
    bearer,
    exchange_code,
    make_pkce_pair,
)

pytestmark = pytest.mark.standin


def test_analytics_raw_users_pages_with_starting_after(server: StandinServer) -> None:
    rows: list[dict[str, Any]] = []
    body: dict[str, Any] = {"limit": 50}
    while True:
        page = requests.post(
            f"{server.url}/analytics/raw/users", headers=API_KEY_HEADERS, json=body, timeout=10
        ).json()
        rows.extend(page["data"])
        if not page["more"]:
            break
        body = {"limit": 50, "starting_after": page["last"]}

    assert len({row["id"] for row in rows}) == 120
    never_signed_in = [row for row in rows if row["last_sign_in_at"] is None]
    assert never_signed_in and all(not row["signed_up"] for row in never_signed_in)


def test_analytics_limit_above_1000_is_rejected(server: StandinServer) -> None:
    response = requests.post(
        f"{server.url}/analytics/raw/users",
        headers=API_KEY_HEADERS,
        json={"limit": 5000},
        timeout=10,
    )

    assert response.status_code == 400


def test_analytics_incident_metrics_per_month(server: StandinServer) -> None:
    response = requests.post(
        f"{server.url}/analytics/metrics/incidents/all",
        headers=API_KEY_HEADERS,
        json={
            "filters": {
                "created_at_start": "2025-01-01T00:00:00Z",
                "created_at_end": "2025-04-01T00:00:00Z",
            },
            "aggregate_unit": "month",
            "time_zone": "Etc/UTC",
        },
        timeout=10,
    )

    rows = response.json()["data"]
    assert [row["range_start"] for row in rows] == [
        "2025-01-01T00:00:00",
        "2025-02-01T00:00:00",
        "2025-03-01T00:00:00",
    ]
    in_window = api_get(
        server,
        "/incidents",
        since="2025-01-01T00:00:00Z",
        until="2025-04-01T00:00:00Z",
        total="true",
    ).json()["total"]
    assert sum(row["total_incident_count"] for row in rows) == in_window


def test_oauth_metrics_request_needs_service_or_team_ids(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]
    access_token = exchange_code(fresh_server, code, verifier).json()["access_token"]
    window = {"created_at_start": "2025-01-01T00:00:00Z", "created_at_end": "2025-03-01T00:00:00Z"}
    service_id = fresh_server.dataset.services[0].id

    without_ids = requests.post(
        f"{fresh_server.url}/analytics/metrics/incidents/all",
        headers=bearer(access_token),
        json={"filters": window, "aggregate_unit": "month"},
        timeout=5,
    )
    with_ids = requests.post(
        f"{fresh_server.url}/analytics/metrics/incidents/all",
        headers=bearer(access_token),
        json={"filters": {**window, "service_ids": [service_id]}, "aggregate_unit": "month"},
        timeout=5,
    )

    assert without_ids.status_code == 400
    assert with_ids.status_code == 200
