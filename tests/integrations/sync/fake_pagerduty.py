"""A PagerDuty REST API mocked with `responses`, for unit tests of the sync's mapping and errors.

Holds lists of PagerDuty-shaped objects and answers the listings the sync reads, honouring
`offset`/`limit`, `since`/`until` (on creation time) and `statuses[]`, as PagerDuty does.
`fail(path, status)` makes one endpoint answer an error instead.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses

from integrations.pagerduty.auth import ApiKeyAuthorizer
from integrations.pagerduty.client import PagerDutyClient
from integrations.pagerduty.datetimes import format_pagerduty_datetime, parse_pagerduty_datetime

BASE_URL = "https://api.pagerduty.test"


def at(days_ago: float, now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)) - timedelta(days=days_ago)
    return format_pagerduty_datetime(moment.replace(microsecond=0))


def make_service(service_id: str, name: str, email: str | None = None) -> dict[str, Any]:
    integrations = [{"id": f"{service_id}-api", "type": "events_api_v2_inbound_integration"}]
    if email:
        integrations.append(
            {
                "id": f"{service_id}-mail",
                "type": "generic_email_inbound_integration",
                "integration_email": email,
            }
        )
    return {
        "id": service_id,
        "type": "service",
        "name": name,
        "description": f"{name} alerts",
        "status": "active",
        "html_url": f"https://acme.pagerduty.com/service-directory/{service_id}",
        "last_incident_timestamp": None,
        "integrations": integrations,
    }


def make_user(user_id: str, email: str, **extra: Any) -> dict[str, Any]:
    user = {
        "id": user_id,
        "type": "user",
        "name": f"User {user_id}",
        "email": email,
        "role": "user",
        "job_title": "Engineer",
        "time_zone": "Europe/Lisbon",
        "invitation_sent": False,
        "html_url": f"https://acme.pagerduty.com/users/{user_id}",
        "teams": [{"id": "PTEAM1", "type": "team_reference", "summary": "Platform"}],
    }
    user.update(extra)
    return user


def make_incident(
    incident_id: str,
    number: int,
    created_at: str,
    *,
    status: str = "triggered",
    service_id: str = "PSVC1",
    priority_id: str | None = None,
    acknowledged_at: str | None = None,
    resolved_at: str | None = None,
) -> dict[str, Any]:
    return {
        "id": incident_id,
        "type": "incident",
        "incident_number": number,
        "title": f"Incident {number}",
        "status": status,
        "urgency": "high",
        "created_at": created_at,
        "updated_at": resolved_at or acknowledged_at or created_at,
        "last_status_change_at": resolved_at or acknowledged_at or created_at,
        "resolved_at": resolved_at,
        "service": {"id": service_id, "type": "service_reference"},
        "priority": {"id": priority_id, "type": "priority_reference"} if priority_id else None,
        "acknowledgements": (
            [{"at": acknowledged_at, "acknowledger": {"id": "PUSER1"}}]
            if acknowledged_at and status == "acknowledged"
            else []
        ),
        "alert_counts": {"all": 2, "triggered": 0, "resolved": 2},
        "html_url": f"https://acme.pagerduty.com/incidents/{incident_id}",
    }


def make_log_entry(
    entry_id: str, kind: str, created_at: str, incident_id: str, note: str | None = None
) -> dict[str, Any]:
    entry = {
        "id": entry_id,
        "type": f"{kind}_log_entry",
        "summary": f"{kind.capitalize()}d",
        "created_at": created_at,
        "agent": {"id": "PUSER1", "type": "user_reference", "summary": "Ada Lovelace"},
        "channel": {"type": "note" if kind == "annotate" else "website"},
        "incident": {"id": incident_id, "type": "incident_reference"},
    }
    if note is not None:
        entry["channel"]["summary"] = note
    return entry


class FakePagerDuty:
    """The account behind the mocked API; tests edit its lists between syncs."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.services: list[dict[str, Any]] = [make_service("PSVC1", "Checkout API")]
        self.priorities: list[dict[str, Any]] = [
            {"id": "PPRI1", "name": "P1", "description": "Critical"},
            {"id": "PPRI2", "name": "P2", "description": "High"},
        ]
        self.licenses: list[dict[str, Any]] = [
            {
                "id": "PLIC1",
                "name": "Business (Full User)",
                "role_group": "FullUser",
                "current_value": 1,
                "allocations_available": 9,
            }
        ]
        self.allocations: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        self.sign_ins: list[dict[str, Any]] = []
        self.incidents: list[dict[str, Any]] = []
        self.log_entries: list[dict[str, Any]] = []
        self.custom_fields: dict[str, list[dict[str, Any]]] = {}
        self.notifications: list[dict[str, Any]] = []
        self.failures: dict[str, tuple[int, Any]] = {}
        self.requests: list[str] = []
        listings = {
            "services": lambda: self.services,
            "priorities": lambda: self.priorities,
            "license_allocations": lambda: self.allocations,
            "users": lambda: self.users,
        }
        for collection, items in listings.items():
            mock.add_callback(
                responses.GET,
                re.compile(rf"{BASE_URL}/{collection}(\?.*)?$"),
                callback=self._listing(f"/{collection}", collection, items),
            )
        mock.add_callback(
            responses.GET, re.compile(rf"{BASE_URL}/licenses(\?.*)?$"), callback=self._licenses
        )
        mock.add_callback(
            responses.POST, re.compile(rf"{BASE_URL}/analytics/raw/users$"), callback=self._sign_ins
        )
        mock.add_callback(
            responses.GET,
            re.compile(rf"{BASE_URL}/incidents/(\w+)/custom_fields/values$"),
            callback=self._custom_fields,
        )
        mock.add_callback(
            responses.GET, re.compile(rf"{BASE_URL}/incidents/(\w+)$"), callback=self._incident
        )
        mock.add_callback(
            responses.GET, re.compile(rf"{BASE_URL}/incidents(\?.*)?$"), callback=self._incidents
        )
        mock.add_callback(
            responses.GET,
            re.compile(rf"{BASE_URL}/log_entries(\?.*)?$"),
            callback=self._log_entries,
        )
        mock.add_callback(
            responses.GET,
            re.compile(rf"{BASE_URL}/notifications(\?.*)?$"),
            callback=self._notifications,
        )

    def client(self, **options: Any) -> PagerDutyClient:
        options.setdefault("sleep", lambda seconds: None)
        options.setdefault("max_retries", 1)
        return PagerDutyClient(base_url=BASE_URL, auth=ApiKeyAuthorizer("test-key"), **options)

    def fail(self, path: str, status: int, message: str = "Nope") -> None:
        self.failures[path] = (status, {"error": {"message": message, "code": 2000}})

    def count(self, path: str) -> int:
        return sum(1 for requested in self.requests if requested == path)

    # -- answers -----------------------------------------------------------------------------

    def _answer(self, path: str, payload: Any) -> tuple[int, dict, str]:
        self.requests.append(path)
        if path in self.failures:
            status, body = self.failures[path]
            return status, {}, json.dumps(body)
        return 200, {}, json.dumps(payload)

    @staticmethod
    def _query(request: Any) -> dict[str, list[str]]:
        return parse_qs(urlsplit(request.url).query)

    def _page(self, request: Any, collection: str, items: list[dict[str, Any]]) -> dict:
        query = self._query(request)
        offset = int(query.get("offset", ["0"])[0])
        limit = int(query.get("limit", ["25"])[0])
        return {
            collection: items[offset : offset + limit],
            "offset": offset,
            "limit": limit,
            "more": offset + limit < len(items),
            "total": len(items) if query.get("total") == ["true"] else None,
        }

    def _listing(self, path: str, collection: str, items: Any) -> Any:
        return lambda request: self._answer(path, self._page(request, collection, items()))

    def _licenses(self, request: Any) -> tuple[int, dict, str]:
        return self._answer("/licenses", {"licenses": self.licenses})

    def _sign_ins(self, request: Any) -> tuple[int, dict, str]:
        return self._answer("/analytics/raw/users", {"data": self.sign_ins, "more": False})

    def _custom_fields(self, request: Any) -> tuple[int, dict, str]:
        incident_id = urlsplit(request.url).path.split("/")[2]
        return self._answer(
            "/incidents/{id}/custom_fields/values",
            {"custom_fields": self.custom_fields.get(incident_id, [])},
        )

    def _incident(self, request: Any) -> tuple[int, dict, str]:
        incident_id = urlsplit(request.url).path.split("/")[2]
        found = [incident for incident in self.incidents if incident["id"] == incident_id]
        if not found:
            self.requests.append("/incidents/{id}")
            return 404, {}, json.dumps({"error": {"message": "Not Found", "code": 2100}})
        return self._answer("/incidents/{id}", {"incident": found[0]})

    def _in_window(
        self, request: Any, items: list[dict[str, Any]], field: str = "created_at"
    ) -> list[dict[str, Any]]:
        query = self._query(request)
        since = parse_pagerduty_datetime(query["since"][0])
        until = parse_pagerduty_datetime(query["until"][0])
        return [item for item in items if since <= parse_pagerduty_datetime(item[field]) < until]

    def _notifications(self, request: Any) -> tuple[int, dict, str]:
        matching = self._in_window(request, self.notifications, field="started_at")
        matching.sort(key=lambda notification: notification["started_at"])
        return self._answer("/notifications", self._page(request, "notifications", matching))

    def _incidents(self, request: Any) -> tuple[int, dict, str]:
        statuses = self._query(request).get("statuses[]")
        matching = [
            incident
            for incident in self._in_window(request, self.incidents)
            if not statuses or incident["status"] in statuses
        ]
        matching.sort(key=lambda incident: incident["created_at"])
        return self._answer("/incidents", self._page(request, "incidents", matching))

    def _log_entries(self, request: Any) -> tuple[int, dict, str]:
        matching = self._in_window(request, self.log_entries)
        matching.sort(key=lambda entry: entry["created_at"], reverse=True)
        if "incidents" in self._query(request).get("include[]", []):
            by_id = {incident["id"]: incident for incident in self.incidents}
            matching = [
                {**entry, "incident": by_id.get(entry["incident"]["id"], entry["incident"])}
                for entry in matching
            ]
        return self._answer("/log_entries", self._page(request, "log_entries", matching))
