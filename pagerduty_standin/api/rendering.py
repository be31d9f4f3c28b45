"""What every PagerDuty JSON shape shares: times in the request's zone, API and web URLs, and
the `*_reference` objects one resource embeds for another (expanded with `include[]`).
"""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from pagerduty_standin.account.dataset import Dataset
from pagerduty_standin.account.formats import format_timestamp
from pagerduty_standin.account.records import Incident, Priority, Service, Team
from pagerduty_standin.api.protocol import Request, request_zone

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer


class Renderer:
    """Builds PagerDuty's JSON for one request (its time zone and the account's base URLs)."""

    def __init__(self, server: StandinServer, zone: tzinfo | None) -> None:
        self.dataset: Dataset = server.dataset
        self.api = server.url
        self.web = f"https://{server.options.subdomain}.pagerduty.com"
        self.zone = zone

    @classmethod
    def for_request(cls, server: StandinServer, request: Request) -> Renderer:
        return cls(server, request_zone(request))

    def time(self, epoch_seconds: int | None) -> str | None:
        return format_timestamp(epoch_seconds, self.zone)

    def reference(
        self, kind: str, object_id: str, summary: str, api_path: str, web_path: str | None
    ) -> dict[str, Any]:
        """PagerDuty's `<kind>_reference` shape: id, type, summary, self and (mostly) html_url."""
        reference = {
            "id": object_id,
            "type": f"{kind}_reference",
            "summary": summary,
            "self": f"{self.api}/{api_path}/{object_id}",
        }
        if web_path is not None:
            reference["html_url"] = f"{self.web}/{web_path}/{object_id}"
        return reference

    def user_reference(self, user_index: int) -> dict[str, Any]:
        user = self.dataset.users[user_index]
        return self.reference("user", user.id, user.name, "users", "users")

    def team_reference(self, team: Team) -> dict[str, Any]:
        return self.reference("team", team.id, team.name, "teams", "teams")

    def escalation_policy_reference(self, team: Team) -> dict[str, Any]:
        return self.reference(
            "escalation_policy",
            team.escalation_policy_id,
            f"{team.name} Escalation Policy",
            "escalation_policies",
            "escalation_policies",
        )

    def service_reference(self, service: Service) -> dict[str, Any]:
        return self.reference("service", service.id, service.name, "services", "service-directory")

    def priority_reference(self, priority: Priority) -> dict[str, Any]:
        return self.reference("priority", priority.id, priority.name, "priorities", None)

    def incident_reference(self, incident: Incident) -> dict[str, Any]:
        summary = f"[#{incident.number}] {self.dataset.incident_title(incident)}"
        return self.reference("incident", incident.id, summary, "incidents", "incidents")

    def team(self, team: Team) -> dict[str, Any]:
        return {
            **self.team_reference(team),
            "type": "team",
            "name": team.name,
            "description": team.description,
            "default_role": "manager",
            "parent": None,
        }

    def teams(self, teams: list[Team], includes: frozenset[str]) -> list[dict[str, Any]]:
        """A `teams` array: references, or whole teams with `include[]=teams`."""
        return [
            self.team(team) if "teams" in includes else self.team_reference(team) for team in teams
        ]
