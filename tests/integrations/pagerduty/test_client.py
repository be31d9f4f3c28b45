"""PagerDutyClient's HTTP behaviour (headers, counting, pagination, windows, retries, budget)
against PagerDuty's documented behaviour, mocked with ``responses``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from integrations.pagerduty.budget import InMemoryBudget
from integrations.pagerduty.client import path_template
from integrations.pagerduty.datetimes import format_pagerduty_datetime, parse_pagerduty_datetime
from integrations.pagerduty.errors import PagerDutyPaginationCeilingError, PagerDutyTransientError
from tests.integrations.pagerduty.fakes import (
    API_KEY,
    BASE_URL,
    FakeSleep,
    at,
    error_response,
    make_client,
    query_of,
)


class FakeIncidentServer:
    """A stand-in for GET /incidents that behaves like PagerDuty's classic pagination.

    Filters on creation time (``since`` inclusive, ``until`` exclusive unless told otherwise),
    answers 400 for offset + limit > 10,000 and for ranges over six months, and fills ``total``
    only when ``total=true`` was asked.
    """

    def __init__(self, created_ats: list[datetime], *, until_inclusive: bool = False) -> None:
        self.incidents = [
            {"id": f"INC{index:06d}", "created_at": format_pagerduty_datetime(created_at)}
            for index, created_at in enumerate(sorted(created_ats))
        ]
        self.created_ats = sorted(created_ats)
        self.until_inclusive = until_inclusive
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        since = parse_pagerduty_datetime(query["since"][0])
        until = parse_pagerduty_datetime(query["until"][0])
        offset = int(query.get("offset", ["0"])[0])
        limit = int(query.get("limit", ["25"])[0])
        wants_total = query.get("total", ["false"])[0] == "true"
        self.requests.append(
            {"since": since, "until": until, "offset": offset, "limit": limit, "total": wants_total}
        )
        if offset + limit > 10_000:
            return error_response(
                400,
                "Arguments Caused Error",
                2002,
                ["Offset+limit exceeds maximum allowed value of 10000."],
            )
        assert since is not None and until is not None
        if until - since > timedelta(days=183):
            return error_response(400, "Invalid Query Date Range", 2005, [])
        matching = [
            incident
            for incident, created_at in zip(self.incidents, self.created_ats, strict=True)
            if since <= created_at
            and (created_at <= until if self.until_inclusive else created_at < until)
        ]
        page = matching[offset : offset + limit]
        body = {
            "incidents": page,
            "limit": limit,
            "offset": offset,
            "more": offset + limit < len(matching),
            "total": len(matching) if wants_total else None,
        }
        return 200, {}, json.dumps(body)


def register_incidents(server: Callable[..., Any]) -> None:
    responses.add_callback(responses.GET, f"{BASE_URL}/incidents", callback=server)


# --------------------------------------------------------------------------------------------
# Headers, counting, datetimes
# --------------------------------------------------------------------------------------------


@responses.activate
def test_every_request_sends_version_header_auth_user_agent_and_timeouts() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", json={"licenses": [{"id": "L1"}]})
    seen_timeouts: list[Any] = []
    session = requests.Session()
    original_send = session.send

    def recording_send(request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        seen_timeouts.append(kwargs.get("timeout"))
        return original_send(request, **kwargs)

    session.send = recording_send  # type: ignore[method-assign]
    client = make_client(session=session, connect_timeout_seconds=3.0, read_timeout_seconds=17.0)

    assert client.list_licenses() == [{"id": "L1"}]

    headers = responses.calls[0].request.headers
    assert headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert headers["Authorization"] == f"Token token={API_KEY}"
    assert headers["User-Agent"] == "sprintolike/1"
    assert seen_timeouts == [(3.0, 17.0)]


def test_path_template_replaces_pagerduty_ids() -> None:
    assert path_template("/incidents/PT4KHLK/notes") == "/incidents/{id}/notes"
    assert (
        path_template("/incidents/Q02JTSNZWHSEKV/custom_fields/values")
        == "/incidents/{id}/custom_fields/values"
    )
    assert path_template("/users/me") == "/users/me"
    assert path_template("/analytics/metrics/incidents/all") == "/analytics/metrics/incidents/all"


@responses.activate
def test_request_counts_include_retries_and_group_ids() -> None:
    values_url = f"{BASE_URL}/incidents/{{}}/custom_fields/values"
    responses.add(responses.GET, values_url.format("PAAAAAA"), status=503)
    responses.add(responses.GET, values_url.format("PAAAAAA"), json={"custom_fields": []})
    responses.add(responses.GET, values_url.format("PBBBBBB"), json={"custom_fields": [{}]})
    client = make_client()

    client.list_incident_custom_field_values("PAAAAAA")
    client.list_incident_custom_field_values("PBBBBBB")

    assert client.request_count == 3
    assert client.requests_by_path == {"/incidents/{id}/custom_fields/values": 3}


# --------------------------------------------------------------------------------------------
# Pagination
# --------------------------------------------------------------------------------------------


@responses.activate
def test_iter_pages_follows_more_until_false() -> None:
    def users_page(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        offset = int(parse_qs(urlsplit(request.url).query)["offset"][0])
        users = [{"id": f"U{offset + index}"} for index in range(2 if offset < 4 else 1)]
        return 200, {}, json.dumps({"users": users, "more": offset < 4, "offset": offset})

    responses.add_callback(responses.GET, f"{BASE_URL}/users", callback=users_page)
    client = make_client(page_limit=2)

    pages = list(client.iter_pages("/users", collection="users"))

    assert [[user["id"] for user in page] for page in pages] == [
        ["U0", "U1"],
        ["U2", "U3"],
        ["U4"],
    ]
    assert [query_of(call)["offset"] for call in responses.calls] == [["0"], ["2"], ["4"]]
    assert all(query_of(call)["limit"] == ["2"] for call in responses.calls)


@responses.activate
def test_list_params_are_sent_as_repeated_keys() -> None:
    responses.add(responses.GET, f"{BASE_URL}/users", json={"users": [], "more": False})
    client = make_client()

    list(
        client.iter_pages(
            "/users",
            collection="users",
            params={"include[]": ["teams", "contact_methods"], "total": True},
        )
    )

    query = urlsplit(responses.calls[0].request.url).query
    assert "include%5B%5D=teams&include%5B%5D=contact_methods" in query
    assert query_of(responses.calls[0])["total"] == ["true"]


def test_iter_pages_refuses_to_page_past_the_offset_ceiling() -> None:
    def endless(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        assert offset + limit <= 10_000
        return 200, {}, json.dumps({"users": [{"id": "U"}] * limit, "more": True})

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, f"{BASE_URL}/users", callback=endless)
        client = make_client()
        with pytest.raises(PagerDutyPaginationCeilingError, match="10,000"):
            for _ in client.iter_pages("/users", collection="users"):
                pass
        assert client.request_count == 100


# --------------------------------------------------------------------------------------------
# Incident windows
# --------------------------------------------------------------------------------------------


@responses.activate
def test_two_year_range_is_read_in_contiguous_windows_of_at_most_179_days() -> None:
    server = FakeIncidentServer([at("2024-03-01T12:00:00"), at("2025-06-30T00:00:00")])
    register_incidents(server)
    client = make_client()
    since, until = at("2024-01-01T00:00:00"), at("2026-01-01T00:00:00")

    incidents = [
        item for page in client.iter_incident_pages(since=since, until=until) for item in page
    ]

    assert [incident["id"] for incident in incidents] == ["INC000000", "INC000001"]
    windows = [(request["since"], request["until"]) for request in server.requests]
    assert len(windows) == 5
    assert windows[0][0] == since
    assert windows[-1][1] == until
    for (_, previous_until), (next_since, _) in zip(windows, windows[1:], strict=False):
        assert next_since == previous_until
    assert all(
        window_until - window_since <= timedelta(days=179) for window_since, window_until in windows
    )
    assert all(request["total"] for request in server.requests)
    query = query_of(responses.calls[0])
    assert query["since"] == ["2024-01-01T00:00:00Z"]
    assert query["sort_by"] == ["created_at:asc"]


@responses.activate
def test_window_with_15000_incidents_is_split_before_the_ceiling_and_first_pages_reused() -> None:
    start = at("2025-01-01T00:00:00")
    created_ats = [start + timedelta(seconds=172 * index) for index in range(15_000)]
    server = FakeIncidentServer(created_ats)
    register_incidents(server)
    client = make_client()

    pages = list(client.iter_incident_pages(since=start, until=start + timedelta(days=30)))

    ids = [incident["id"] for page in pages for incident in page]
    assert len(ids) == 15_000
    assert len(set(ids)) == 15_000
    assert ids == sorted(ids), "pages come in chronological window order"
    assert all(request["offset"] + request["limit"] <= 10_000 for request in server.requests)
    fetched = [(r["since"], r["until"], r["offset"]) for r in server.requests]
    assert len(fetched) == len(set(fetched)), "no page, first pages included, is fetched twice"
    # The 30-day window (total 15,000 > 9,900) costs one request, then is split at day 15.
    assert server.requests[0]["total"] and server.requests[0]["until"] == start + timedelta(days=30)
    midpoint = start + timedelta(days=15)
    first_half = sum(1 for created_at in created_ats if created_at < midpoint)
    second_half = 15_000 - first_half
    assert first_half <= 9_900 and second_half <= 9_900
    pages_needed = -(-first_half // 100) + -(-second_half // 100)
    assert client.request_count == 1 + pages_needed


@responses.activate
def test_incident_created_exactly_on_a_window_boundary_is_yielded_once() -> None:
    boundary = at("2024-06-28T00:00:00")  # since + 179 days
    server = FakeIncidentServer(
        [boundary - timedelta(seconds=1), boundary, boundary + timedelta(seconds=1)]
    )
    register_incidents(server)
    client = make_client()

    pages = list(
        client.iter_incident_pages(since=at("2024-01-01T00:00:00"), until=at("2024-12-01T00:00:00"))
    )

    assert [incident["id"] for page in pages for incident in page] == [
        "INC000000",
        "INC000001",
        "INC000002",
    ]


@responses.activate
def test_boundary_incident_is_not_duplicated_if_until_were_inclusive() -> None:
    boundary = at("2024-06-28T00:00:00")
    server = FakeIncidentServer([boundary], until_inclusive=True)
    register_incidents(server)
    client = make_client()

    pages = list(
        client.iter_incident_pages(since=at("2024-01-01T00:00:00"), until=at("2024-12-01T00:00:00"))
    )

    assert [incident["id"] for page in pages for incident in page] == ["INC000000"]


@responses.activate
def test_boundary_notification_is_not_duplicated_between_three_month_windows() -> None:
    since = at("2024-01-01T00:00:00")
    boundary = since + timedelta(days=88)  # where the first 88-day window ends
    seen_ranges: list[tuple[str, str]] = []

    def notifications(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        window = (query["since"][0], query["until"][0])
        seen_ranges.append(window)
        start, end = (parse_pagerduty_datetime(value) for value in window)
        assert start is not None and end is not None and end - start <= timedelta(days=88)
        # ``until`` inclusive: the boundary notification is in both windows' answers
        items = [{"id": "PN1", "type": "sms_notification"}] if start <= boundary <= end else []
        return 200, {}, json.dumps({"notifications": items, "more": False, "total": len(items)})

    responses.add_callback(responses.GET, f"{BASE_URL}/notifications", callback=notifications)
    client = make_client()

    pages = list(client.iter_notifications(since=since, until=since + timedelta(days=150)))

    assert [item["id"] for page in pages for item in page] == ["PN1"]
    assert len(seen_ranges) == 2


@responses.activate
def test_log_entries_use_the_same_windowing() -> None:
    def log_entries(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        query = parse_qs(urlsplit(request.url).query)
        entries = [{"id": f"LE-{query['since'][0]}", "type": "resolve_log_entry"}]
        return 200, {}, json.dumps({"log_entries": entries, "more": False, "total": 1})

    responses.add_callback(responses.GET, f"{BASE_URL}/log_entries", callback=log_entries)
    client = make_client()

    entries = list(
        client.iter_log_entries(since=at("2024-01-01T00:00:00"), until=at("2024-12-31T00:00:00"))
    )

    assert [entry["id"] for entry in entries] == [
        "LE-2024-01-01T00:00:00Z",
        "LE-2024-06-28T00:00:00Z",
        "LE-2024-12-24T00:00:00Z",
    ]


# --------------------------------------------------------------------------------------------
# Retries and rate limits
# --------------------------------------------------------------------------------------------

RATE_LIMITED = {"error": {"message": "Rate Limit Exceeded", "code": 2020}}


@responses.activate
def test_429_with_ratelimit_reset_sleeps_about_that_long() -> None:
    responses.add(
        responses.GET,
        f"{BASE_URL}/licenses",
        status=429,
        json=RATE_LIMITED,
        headers={"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "20"},
    )
    responses.add(responses.GET, f"{BASE_URL}/licenses", json={"licenses": []})
    sleep = FakeSleep()
    client = make_client(sleep=sleep)

    assert client.list_licenses() == []

    assert len(sleep.calls) == 1
    assert 20 <= sleep.calls[0] <= 21
    assert client.request_count == 2


@responses.activate
def test_429_without_headers_backs_off_with_bounded_jitter() -> None:
    for _ in range(3):
        responses.add(responses.GET, f"{BASE_URL}/licenses", status=429)
    responses.add(responses.GET, f"{BASE_URL}/licenses", json={"licenses": []})
    sleep = FakeSleep()
    client = make_client(sleep=sleep, backoff_base_seconds=1.0, backoff_max_seconds=60.0)

    client.list_licenses()

    assert len(sleep.calls) == 3
    for attempt, seconds in enumerate(sleep.calls):
        assert 0 <= seconds <= 2**attempt
    assert len(set(sleep.calls)) == 3, "jittered, not a fixed schedule"


@responses.activate
def test_backoff_never_exceeds_the_maximum() -> None:
    for _ in range(6):
        responses.add(responses.GET, f"{BASE_URL}/licenses", status=502)
    responses.add(responses.GET, f"{BASE_URL}/licenses", json={"licenses": []})
    sleep = FakeSleep()
    client = make_client(sleep=sleep, backoff_base_seconds=1.0, backoff_max_seconds=5.0)

    client.list_licenses()

    assert len(sleep.calls) == 6
    assert max(sleep.calls) <= 5.0


@responses.activate
def test_5xx_is_retried_then_succeeds() -> None:
    responses.add(responses.GET, f"{BASE_URL}/priorities", status=500)
    responses.add(responses.GET, f"{BASE_URL}/priorities", status=503)
    responses.add(
        responses.GET, f"{BASE_URL}/priorities", json={"priorities": [{"id": "P1"}], "more": False}
    )
    client = make_client()

    assert list(client.iter_pages("/priorities", collection="priorities")) == [[{"id": "P1"}]]
    assert client.request_count == 3


@responses.activate
def test_retry_exhaustion_raises_transient_error_with_actionable_message() -> None:
    responses.add(responses.GET, f"{BASE_URL}/priorities", status=503)
    client = make_client(max_retries=3)

    with pytest.raises(PagerDutyTransientError) as raised:
        list(client.iter_pages("/priorities", collection="priorities"))

    assert raised.value.status_code == 503
    assert "try again later" in raised.value.message
    assert client.request_count == 4  # the first attempt plus three retries


@responses.activate
def test_persistent_429_raises_transient_error_mentioning_rate_limit() -> None:
    responses.add(responses.GET, f"{BASE_URL}/priorities", status=429, json=RATE_LIMITED)
    client = make_client(max_retries=2)

    with pytest.raises(PagerDutyTransientError, match="rate-limiting"):
        list(client.iter_pages("/priorities", collection="priorities"))


@responses.activate
def test_connection_error_and_timeout_are_retried() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", body=requests.ConnectionError("refused"))
    responses.add(responses.GET, f"{BASE_URL}/licenses", body=requests.ReadTimeout("slow"))
    responses.add(responses.GET, f"{BASE_URL}/licenses", json={"licenses": [{"id": "L1"}]})
    sleep = FakeSleep()
    client = make_client(sleep=sleep)

    assert client.list_licenses() == [{"id": "L1"}]
    assert len(sleep.calls) == 2
    assert client.request_count == 3


@responses.activate
def test_timeouts_that_persist_raise_transient_error() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", body=requests.ConnectTimeout("down"))
    client = make_client(max_retries=1)

    with pytest.raises(PagerDutyTransientError, match="timed out"):
        client.list_licenses()


@responses.activate
def test_budget_is_acquired_before_every_attempt() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", status=500)
    responses.add(responses.GET, f"{BASE_URL}/licenses", json={"licenses": []})
    acquired: list[str] = []

    class RecordingBudget:
        def acquire(self, account_key: str) -> None:
            acquired.append(account_key)

    client = make_client(budget=RecordingBudget(), budget_key="us:PACCT01")

    client.list_licenses()

    assert acquired == ["us:PACCT01", "us:PACCT01"]


@responses.activate
def test_full_budget_window_makes_the_client_wait() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", json={"licenses": []})
    now = [30.5]
    sleep = FakeSleep()

    def advancing_sleep(seconds: float) -> None:
        sleep(seconds)
        now[0] += seconds

    budget = InMemoryBudget(120, sleep=advancing_sleep, clock=lambda: now[0])  # 2 a second
    client = make_client(budget=budget, budget_key="us:PACCT01")

    for _ in range(3):
        client.list_licenses()

    assert len(sleep.calls) == 1
    assert 0.5 <= sleep.calls[0] <= 0.6


# --------------------------------------------------------------------------------------------
# Convenience endpoints
# --------------------------------------------------------------------------------------------


@responses.activate
def test_licenses_and_custom_fields_read_their_keys() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", json={"licenses": [{"id": "L1"}]})
    responses.add(
        responses.GET,
        f"{BASE_URL}/incidents/PINC001/custom_fields/values",
        json={"custom_fields": [{"name": "environment", "value": "production"}]},
    )
    client = make_client()

    assert client.list_licenses() == [{"id": "L1"}]
    assert client.list_incident_custom_field_values("PINC001")[0]["value"] == "production"


@responses.activate
def test_license_allocations_are_paginated() -> None:
    responses.add(
        responses.GET,
        f"{BASE_URL}/license_allocations",
        json={"license_allocations": [{"user": {"id": "U1"}}], "more": True},
    )
    responses.add(
        responses.GET,
        f"{BASE_URL}/license_allocations",
        json={"license_allocations": [{"user": {"id": "U2"}}], "more": False},
    )
    client = make_client()

    allocations = list(client.iter_license_allocations())

    assert [allocation["user"]["id"] for allocation in allocations] == ["U1", "U2"]
    assert query_of(responses.calls[1])["offset"] == ["1"]


@responses.activate
def test_analytics_raw_users_follow_the_starting_after_cursor() -> None:
    responses.add(
        responses.POST,
        f"{BASE_URL}/analytics/raw/users",
        json={"data": [{"id": "U1"}], "more": True, "last": "cursor-1", "first": "cursor-0"},
    )
    responses.add(
        responses.POST,
        f"{BASE_URL}/analytics/raw/users",
        json={"data": [{"id": "U2", "last_sign_in_at": "2025-03-04T09:30:51"}], "more": False},
    )
    client = make_client()

    rows = list(client.iter_analytics_raw_users())

    assert [row["id"] for row in rows] == ["U1", "U2"]
    first_body = json.loads(responses.calls[0].request.body)
    second_body = json.loads(responses.calls[1].request.body)
    assert first_body["limit"] == 1000
    assert "starting_after" not in first_body
    assert second_body["starting_after"] == "cursor-1"
