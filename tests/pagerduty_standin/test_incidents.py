"""`GET /incidents` (filters on creation time, statuses, services, sorting), incident detail and
the log entries of one incident or of the whole account.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import api_get, iso, list_all, parse_time

pytestmark = pytest.mark.standin


def test_since_and_until_filter_on_creation_time(server: StandinServer) -> None:
    since = datetime(2024, 11, 1, tzinfo=UTC)
    until = datetime(2024, 12, 1, tzinfo=UTC)

    incidents = list_all(server, "/incidents", "incidents", since=iso(since), until=iso(until))

    assert incidents
    assert all(since <= parse_time(incident["created_at"]) < until for incident in incidents)
    created = [incident["created_at"] for incident in incidents]
    assert created == sorted(created)


def test_sort_by_created_at_desc_returns_newest_first(server: StandinServer) -> None:
    body = api_get(server, "/incidents", date_range="all", sort_by="created_at:desc").json()

    created = [incident["created_at"] for incident in body["incidents"]]
    assert created == sorted(created, reverse=True)
    assert body["incidents"][0]["incident_number"] == 3000


def test_statuses_filter_returns_only_open_incidents(server: StandinServer) -> None:
    open_incidents = list_all(
        server,
        "/incidents",
        "incidents",
        date_range="all",
        **{"statuses[]": ["triggered", "acknowledged"]},
    )

    summary = requests.get(f"{server.url}/_control/summary", timeout=10).json()
    expected = (
        summary["incidents_by_status"]["triggered"] + summary["incidents_by_status"]["acknowledged"]
    )
    assert len(open_incidents) == expected
    assert {incident["status"] for incident in open_incidents} == {"triggered", "acknowledged"}
    assert all(incident["resolved_at"] is None for incident in open_incidents)


def test_invalid_status_is_a_400(server: StandinServer) -> None:
    response = api_get(server, "/incidents", **{"statuses[]": "closed"})

    assert response.status_code == 400


def test_resolved_incidents_have_no_assignments_but_keep_alert_counts(
    server: StandinServer,
) -> None:
    body = api_get(
        server, "/incidents", date_range="all", limit=50, **{"statuses[]": "resolved"}
    ).json()

    for incident in body["incidents"]:
        assert incident["assignments"] == []
        counts = incident["alert_counts"]
        assert counts["all"] == counts["resolved"] >= 1
        assert incident["resolved_at"] is not None


def test_service_filter_and_incident_detail(server: StandinServer) -> None:
    service_id = api_get(server, "/services").json()["services"][0]["id"]
    body = api_get(
        server, "/incidents", date_range="all", limit=20, **{"service_ids[]": service_id}
    ).json()

    assert body["incidents"]
    assert {incident["service"]["id"] for incident in body["incidents"]} == {service_id}
    detail = api_get(server, f"/incidents/{body['incidents'][0]['id']}").json()["incident"]
    assert detail["id"] == body["incidents"][0]["id"]


def test_unknown_incident_is_a_404_with_pagerduty_error_body(server: StandinServer) -> None:
    response = api_get(server, "/incidents/PNOPE00")

    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Not Found", "code": 2100}}


def test_log_entries_have_incident_references_and_respect_the_window(
    server: StandinServer,
) -> None:
    since = datetime(2025, 3, 1, tzinfo=UTC)
    until = datetime(2025, 3, 3, tzinfo=UTC)

    entries = list_all(server, "/log_entries", "log_entries", since=iso(since), until=iso(until))

    assert entries
    assert all(since <= parse_time(entry["created_at"]) < until for entry in entries)
    assert all(entry["incident"]["type"] == "incident_reference" for entry in entries)
    assert {"trigger_log_entry", "resolve_log_entry"} <= {entry["type"] for entry in entries}


def test_incident_log_entries_overview_and_channels(server: StandinServer) -> None:
    incident = api_get(server, "/incidents", date_range="all", **{"statuses[]": "resolved"}).json()[
        "incidents"
    ][0]

    everything = api_get(server, f"/incidents/{incident['id']}/log_entries").json()["log_entries"]
    overview = api_get(
        server, f"/incidents/{incident['id']}/log_entries", is_overview="true"
    ).json()["log_entries"]
    with_channels = api_get(
        server, f"/incidents/{incident['id']}/log_entries", **{"include[]": "channels"}
    ).json()["log_entries"]

    assert {entry["type"] for entry in overview} <= {
        "trigger_log_entry",
        "acknowledge_log_entry",
        "annotate_log_entry",
        "resolve_log_entry",
    }
    assert len(overview) < len(everything)
    trigger = next(entry for entry in with_channels if entry["type"] == "trigger_log_entry")
    assert "summary" in trigger["channel"]
