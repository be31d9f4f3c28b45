"""PagerDuty's limits: page size cap, `total`, the 10,000 offset ceiling, the incident date range
(one month by default, six at most) and per-credential rate limits with sometimes-missing headers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import FIXED_NOW, api_get, parse_time, small_options

pytestmark = pytest.mark.standin


def test_limit_above_100_is_clamped_to_100_and_more_says_whether_items_remain(
    server: StandinServer,
) -> None:
    body = api_get(server, "/users", limit=500).json()

    assert body["limit"] == 100
    assert len(body["users"]) == 100
    assert body["more"] is True

    last_page = api_get(server, "/users", limit=100, offset=100).json()
    assert len(last_page["users"]) == 20
    assert last_page["more"] is False


def test_total_is_null_unless_total_true_is_passed(server: StandinServer) -> None:
    assert api_get(server, "/users").json()["total"] is None
    assert api_get(server, "/users", total="true").json()["total"] == 120


def test_default_page_size_is_25(server: StandinServer) -> None:
    body = api_get(server, "/incidents", date_range="all").json()

    assert body["limit"] == 25
    assert len(body["incidents"]) == 25


def test_offset_plus_limit_over_10000_is_a_400_arguments_caused_error(
    server: StandinServer,
) -> None:
    response = api_get(server, "/incidents", date_range="all", offset=9950, limit=100)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 2002
    assert error["message"] == "Arguments Caused Error"
    assert error["errors"][0].startswith("Offset+limit exceeds maximum allowed value of 10000.")


def test_offset_plus_limit_of_exactly_10000_is_allowed(server: StandinServer) -> None:
    assert api_get(server, "/incidents", date_range="all", offset=9900, limit=100).ok


def test_incident_range_over_six_months_is_rejected(server: StandinServer) -> None:
    response = api_get(
        server, "/incidents", since="2024-01-01T00:00:00Z", until="2024-08-01T00:00:00Z"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 2001


def test_incident_range_of_exactly_six_months_is_allowed(server: StandinServer) -> None:
    response = api_get(
        server, "/incidents", since="2024-01-01T00:00:00Z", until="2024-07-01T00:00:00Z"
    )

    assert response.status_code == 200


def test_without_since_and_until_only_the_last_month_is_listed(server: StandinServer) -> None:
    body = api_get(server, "/incidents", limit=100, total="true").json()

    month_ago = FIXED_NOW - timedelta(days=31)
    created = [parse_time(incident["created_at"]) for incident in body["incidents"]]
    assert created and all(moment >= month_ago for moment in created)
    all_time_total = api_get(server, "/incidents", date_range="all", total="true").json()["total"]
    assert body["total"] < all_time_total == 3000


def test_rate_limit_429_carries_ratelimit_headers() -> None:
    options = small_options(
        incident_count=50, rate_limit_per_minute=3, rate_limit_headers_probability=1.0
    )
    with StandinServer(options) as limited:
        statuses = [api_get(limited, "/abilities") for _ in range(4)]

    assert [response.status_code for response in statuses] == [200, 200, 200, 429]
    throttled = statuses[-1]
    assert throttled.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    assert throttled.headers["ratelimit-limit"] == "3"
    assert throttled.headers["ratelimit-remaining"] == "0"
    assert 1 <= int(throttled.headers["ratelimit-reset"]) <= 60
    assert "Retry-After" not in throttled.headers
    assert statuses[0].headers["ratelimit-remaining"] == "2"


def test_some_429s_come_without_headers_or_body() -> None:
    options = small_options(
        incident_count=50, rate_limit_per_minute=1, rate_limit_headers_probability=0.0
    )
    with StandinServer(options) as limited:
        api_get(limited, "/abilities")
        throttled = api_get(limited, "/abilities")

    assert throttled.status_code == 429
    assert "ratelimit-reset" not in throttled.headers
    assert throttled.content == b""


def test_rate_limit_is_counted_per_credential() -> None:
    options = small_options(
        incident_count=50,
        rate_limit_per_minute=1,
        rate_limit_headers_probability=1.0,
        api_keys=("key-one", "key-two"),
    )
    with StandinServer(options) as limited:
        first = requests.get(
            f"{limited.url}/abilities", headers={"Authorization": "Token token=key-one"}, timeout=5
        )
        second = requests.get(
            f"{limited.url}/abilities", headers={"Authorization": "Token token=key-two"}, timeout=5
        )

    assert first.status_code == second.status_code == 200
