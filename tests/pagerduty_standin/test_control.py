"""The `/_control/` endpoints change the account, and the API shows the change as PagerDuty would."""

from __future__ import annotations

import pytest

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import api_get, control, list_all

pytestmark = pytest.mark.standin


def test_resolving_through_control_is_seen_by_the_api(fresh_server: StandinServer) -> None:
    open_incident = api_get(
        fresh_server, "/incidents", date_range="all", **{"statuses[]": "triggered"}
    ).json()["incidents"][0]

    control(
        fresh_server,
        f"/incidents/{open_incident['id']}/resolve",
        {"note": "Root cause found, no Data Loss."},
    )

    after = api_get(fresh_server, f"/incidents/{open_incident['id']}").json()["incident"]
    assert after["status"] == "resolved"
    assert after["resolved_at"] is not None
    assert after["created_at"] == open_incident["created_at"]
    assert after["updated_at"] >= open_incident["updated_at"]
    still_open = list_all(
        fresh_server, "/incidents", "incidents", date_range="all", **{"statuses[]": "triggered"}
    )
    assert open_incident["id"] not in {incident["id"] for incident in still_open}
    notes = api_get(fresh_server, f"/incidents/{open_incident['id']}/notes").json()["notes"]
    assert notes[-1]["content"] == "Root cause found, no Data Loss."
    log_types = [
        entry["type"]
        for entry in api_get(fresh_server, f"/incidents/{open_incident['id']}/log_entries").json()[
            "log_entries"
        ]
    ]
    assert log_types[0] == "resolve_log_entry"
    assert "annotate_log_entry" in log_types


def test_new_incidents_and_removed_users_through_control(fresh_server: StandinServer) -> None:
    before = api_get(fresh_server, "/incidents", total="true").json()["total"]
    created = control(fresh_server, "/incidents", {"count": 3, "status": "triggered"})["incidents"]
    user_id = api_get(fresh_server, "/users").json()["users"][0]["id"]

    control(fresh_server, f"/users/{user_id}/remove")

    after = api_get(fresh_server, "/incidents", total="true").json()
    assert after["total"] == before + 3
    assert {incident["status"] for incident in created} == {"triggered"}
    users = list_all(fresh_server, "/users", "users")
    assert user_id not in {user["id"] for user in users}
    assert api_get(fresh_server, f"/users/{user_id}").status_code == 404
