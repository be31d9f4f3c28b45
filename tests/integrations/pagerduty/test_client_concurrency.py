"""Several requests in flight: same pages in the same order as one at a time, within bounds."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from integrations.pagerduty.client import PagerDutyClient
from integrations.pagerduty.concurrency import RequestPool, ordered_results
from integrations.pagerduty.errors import PagerDutyUnauthorized
from tests.integrations.pagerduty.fakes import BASE_URL, make_client

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


class FakeListing:
    """A `GET /incidents`-like listing of `count` items spread evenly over 300 days, with a
    short delay per answer and a record of how many answers were in progress at once."""

    def __init__(self, count: int, *, delay_seconds: float = 0.02) -> None:
        self.items = [
            {"id": f"Q{index:05d}", "created_at": SINCE + timedelta(days=300 * index / count)}
            for index in range(count)
        ]
        self.delay_seconds = delay_seconds
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        import json

        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(self.delay_seconds)
            query = parse_qs(urlsplit(request.url).query)
            since = datetime.fromisoformat(query["since"][0].replace("Z", "+00:00"))
            until = datetime.fromisoformat(query["until"][0].replace("Z", "+00:00"))
            offset, limit = int(query["offset"][0]), int(query["limit"][0])
            matching = [item for item in self.items if since <= item["created_at"] < until]
            page = matching[offset : offset + limit]
            body = {
                "incidents": [
                    {"id": item["id"], "created_at": item["created_at"].isoformat()}
                    for item in page
                ],
                "more": offset + limit < len(matching),
                "total": len(matching) if query.get("total") == ["true"] else None,
            }
            return 200, {}, json.dumps(body)
        finally:
            with self.lock:
                self.in_flight -= 1


def read_all(client: PagerDutyClient) -> list[list[str]]:
    pages = client.iter_incident_pages(since=SINCE, until=SINCE + timedelta(days=301))
    return [[item["id"] for item in page] for page in pages]


@responses.activate
def test_concurrent_listing_yields_the_same_pages_in_the_same_order_as_serial() -> None:
    listing = FakeListing(2_500)
    responses.add_callback(responses.GET, f"{BASE_URL}/incidents", callback=listing)

    serial = read_all(make_client(page_limit=100))
    serial_requests = len(responses.calls)
    concurrent_client = make_client(page_limit=100, max_in_flight=4)
    concurrent = read_all(concurrent_client)
    concurrent_client.close()

    assert concurrent == serial
    assert [item for page in concurrent for item in page] == [item["id"] for item in listing.items]
    assert len(responses.calls) - serial_requests == serial_requests
    assert 1 < listing.most_in_flight <= 4


@responses.activate
def test_concurrent_listing_splits_windows_over_the_threshold_without_losing_items(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from integrations.pagerduty import client as client_module

    monkeypatch.setattr(client_module, "WINDOW_SPLIT_THRESHOLD", 300)
    listing = FakeListing(1_000, delay_seconds=0.0)
    responses.add_callback(responses.GET, f"{BASE_URL}/incidents", callback=listing)

    client = make_client(page_limit=100, max_in_flight=4)
    pages = read_all(client)
    client.close()

    assert [item for page in pages for item in page] == [item["id"] for item in listing.items]


@responses.activate
def test_user_pages_are_fetched_concurrently_once_the_total_is_known() -> None:
    import json

    users = [{"id": f"PU{index:04d}"} for index in range(950)]

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        body = {
            "users": users[offset : offset + limit],
            "more": offset + limit < len(users),
            "total": len(users) if query.get("total") == ["true"] else None,
        }
        return 200, {}, json.dumps(body)

    responses.add_callback(responses.GET, f"{BASE_URL}/users", callback=answer)
    client = make_client(page_limit=100, max_in_flight=3)

    pages = list(client.iter_pages("/users", collection="users"))
    client.close()

    assert [user for page in pages for user in page] == users
    assert len(responses.calls) == 10


@responses.activate
def test_an_error_in_a_page_fetched_ahead_surfaces_where_that_page_would_be() -> None:
    import json

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        offset = int(query["offset"][0])
        if offset >= 300:
            return 401, {}, json.dumps({"error": {"message": "Unauthorized", "code": 2006}})
        body = {"users": [{"id": f"PU{offset + i}"} for i in range(100)], "more": True}
        if query.get("total") == ["true"]:
            body["total"] = 1_000
        return 200, {}, json.dumps(body)

    responses.add_callback(responses.GET, f"{BASE_URL}/users", callback=answer)
    client = make_client(page_limit=100, max_in_flight=4)
    received = []

    with pytest.raises(PagerDutyUnauthorized):
        for page in client.iter_pages("/users", collection="users"):
            received.append(page)
    client.close()

    assert len(received) == 3


def test_ordered_results_keep_submission_order_and_bound_the_work_ahead() -> None:
    started: list[int] = []
    pool = RequestPool(3)

    def work(number: int) -> int:
        started.append(number)
        time.sleep(0.01 * (5 - number % 5))
        return number

    results = ordered_results(
        pool, (lambda number=number: work(number) for number in range(20)), ahead=4
    )
    first = next(results)
    assert first == 0
    assert len(started) <= 5
    assert [first, *results] == list(range(20))
    pool.close()
