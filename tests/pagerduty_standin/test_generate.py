"""Generated accounts: deterministic per seed and `now`, realistic shares, benchmark-sized quickly."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from pagerduty_standin import StandinOptions, StandinServer, generate_dataset
from tests.pagerduty_standin.conftest import API_KEY_HEADERS, FIXED_NOW

pytestmark = pytest.mark.standin


def test_same_seed_and_now_give_the_same_account() -> None:
    first = generate_dataset(
        seed=3, incident_count=500, user_count=50, service_count=5, now=FIXED_NOW
    )
    second = generate_dataset(
        seed=3, incident_count=500, user_count=50, service_count=5, now=FIXED_NOW
    )
    other = generate_dataset(
        seed=4, incident_count=500, user_count=50, service_count=5, now=FIXED_NOW
    )

    def fingerprint(dataset: Any) -> list[Any]:
        return [
            [(user.id, user.email, user.role, user.last_sign_in_at) for user in dataset.users],
            [(service.id, service.name) for service in dataset.services],
            [
                (incident.id, incident.created_at, incident.status, incident.resolved_at)
                for incident in dataset.incidents
            ],
        ]

    assert fingerprint(first) == fingerprint(second)
    assert fingerprint(first) != fingerprint(other)


def test_generated_incidents_cover_two_years_with_some_data_loss_notes() -> None:
    dataset = generate_dataset(seed=5, incident_count=5000, user_count=50, now=FIXED_NOW)

    summary = dataset.summary()
    created = list(dataset.created_times)
    assert created == sorted(created)
    assert FIXED_NOW.timestamp() - created[0] > 700 * 86_400
    open_share = (
        summary["incidents_by_status"]["triggered"] + summary["incidents_by_status"]["acknowledged"]
    ) / summary["incidents"]
    assert 0.05 < open_share < 0.15
    assert summary["incidents_with_data_loss_note"] > 50
    assert summary["incidents_with_priority"] < summary["incidents"]


def test_benchmark_sized_account_generates_quickly_and_pages_fast() -> None:
    started = time.perf_counter()
    with StandinServer(
        StandinOptions(
            incident_count=100_000,
            user_count=5000,
            service_count=50,
            now=FIXED_NOW,
            rate_limit_per_minute=0,
        )
    ) as big:
        generated = time.perf_counter() - started
        session = requests.Session()
        session.headers.update(API_KEY_HEADERS)

        timings = {}
        for label, params in {
            "all-time page at offset 9900": {"date_range": "all", "offset": 9900, "limit": 100},
            "six-month window, total": {
                "since": "2024-12-01T00:00:00Z",
                "until": "2025-06-01T00:00:00Z",
                "total": "true",
                "limit": 100,
            },
            "open incidents, first call": {
                "date_range": "all",
                "statuses[]": ["triggered", "acknowledged"],
                "limit": 100,
            },
            "open incidents, next page": {
                "date_range": "all",
                "statuses[]": ["triggered", "acknowledged"],
                "limit": 100,
                "offset": 100,
            },
        }.items():
            page_started = time.perf_counter()
            response = session.get(f"{big.url}/incidents", params=params, timeout=60)
            timings[label] = time.perf_counter() - page_started
            assert response.status_code == 200
            assert len(response.json()["incidents"]) == 100

    print(f"\ngenerated 100,000 incidents and 5,000 users in {generated:.2f}s")
    for label, seconds in timings.items():
        print(f"  {label}: {seconds * 1000:.1f} ms")
    assert generated < 60
