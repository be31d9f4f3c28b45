"""`GET /services`, `/services/{id}`, `/priorities` and `/abilities`: the account's catalog.

A service's `status` follows its open incidents, and its integrations are references unless
`include[]=integrations` asks for the inbound email address and routing key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pagerduty_standin.account.records import Integration, Priority, Service
from pagerduty_standin.api.limits import paginate
from pagerduty_standin.api.protocol import NOT_FOUND, Request, Response, Route, json_response
from pagerduty_standin.api.rendering import Renderer

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer

# The account features `GET /abilities` reports (a Business plan with Analytics).
ABILITIES = (
    "advanced_permissions",
    "analytics",
    "custom_incident_fields",
    "incident_priorities",
    "read_only_users",
    "service_support_hours",
    "teams",
    "urgencies",
)


def list_services(server: StandinServer, request: Request) -> Response:
    """Sorted by name (`sort_by=name:desc` reverses); `query` and `team_ids[]` filter."""
    dataset = server.dataset
    search = request.search()
    team_ids = set(request.many("team_ids"))
    includes = request.includes()
    renderer = Renderer.for_request(server, request)
    services = [
        service
        for service in dataset.services_sorted_by_name
        if search in service.name.lower()
        and (not team_ids or dataset.teams[service.team_index].id in team_ids)
    ]
    if (request.one("sort_by") or "name").endswith(":desc"):
        services.reverse()
    return paginate(
        request,
        "services",
        services,
        lambda service: render_service(renderer, service, includes),
        lock=dataset.lock,
    )


def get_service(server: StandinServer, request: Request) -> Response:
    service = server.dataset.service_by_id.get(request.path_parameters["id"])
    if service is None:
        raise NOT_FOUND
    with server.dataset.lock:
        rendered = render_service(
            Renderer.for_request(server, request), service, request.includes()
        )
    return json_response({"service": rendered})


def list_priorities(server: StandinServer, request: Request) -> Response:
    renderer = Renderer.for_request(server, request)
    return paginate(
        request,
        "priorities",
        server.dataset.priorities,
        lambda priority: render_priority(renderer, priority),
        lock=server.dataset.lock,
    )


def list_abilities(server: StandinServer, request: Request) -> Response:
    return json_response({"abilities": list(ABILITIES)})


def render_service(
    renderer: Renderer, service: Service, includes: frozenset[str] = frozenset()
) -> dict[str, Any]:
    team = renderer.dataset.teams[service.team_index]
    if service.disabled:
        status = "disabled"
    elif service.triggered_count:
        status = "critical"
    elif service.acknowledged_count:
        status = "warning"
    else:
        status = "active"
    escalation_policy = renderer.escalation_policy_reference(team)
    if "escalation_policies" in includes:
        escalation_policy = {
            **escalation_policy,
            "type": "escalation_policy",
            "name": escalation_policy["summary"],
        }
    return {
        **renderer.service_reference(service),
        "type": "service",
        "name": service.name,
        "description": service.description,
        "auto_resolve_timeout": service.auto_resolve_timeout,
        "acknowledgement_timeout": service.acknowledgement_timeout,
        "created_at": renderer.time(service.created_at),
        "status": status,
        "last_incident_timestamp": renderer.time(service.last_incident_at),
        "escalation_policy": escalation_policy,
        "response_play": None,
        "teams": renderer.teams([team], includes),
        "integrations": [
            render_integration(renderer, service, integration, "integrations" in includes)
            for integration in service.integrations
        ],
        "incident_urgency_rule": {"type": "constant", "urgency": "high"},
        "support_hours": None,
        "scheduled_actions": [],
        "addons": [],
        "alert_creation": "create_alerts_and_incidents",
        "alert_grouping_parameters": {"type": None, "config": None},
        "auto_pause_notifications_parameters": {"enabled": False, "timeout": None},
    }


def render_integration(
    renderer: Renderer, service: Service, integration: Integration, full: bool
) -> dict[str, Any]:
    """A reference, or (`full`) the integration with its email settings or routing key."""
    reference = {
        "id": integration.id,
        "type": integration.type if full else f"{integration.type}_reference",
        "summary": integration.name,
        "self": f"{renderer.api}/services/{service.id}/integrations/{integration.id}",
        "html_url": f"{renderer.web}/services/{service.id}/integrations/{integration.id}",
    }
    if not full:
        return reference
    details: dict[str, Any] = {
        **reference,
        "name": integration.name,
        "service": renderer.service_reference(service),
        "created_at": renderer.time(integration.created_at),
        "vendor": None,
    }
    if integration.integration_email is not None:
        details.update(
            {
                "integration_email": integration.integration_email,
                "email_incident_creation": "on_new_email",
                "email_filter_mode": "all-email",
                "email_parsing_fallback": "open_new_incident",
                "email_parsers": [],
                "email_filters": [],
            }
        )
    if integration.integration_key is not None:
        details["integration_key"] = integration.integration_key
    return details


def render_priority(renderer: Renderer, priority: Priority) -> dict[str, Any]:
    return {
        "id": priority.id,
        "type": "priority",
        "summary": priority.name,
        "self": f"{renderer.api}/priorities/{priority.id}",
        "html_url": None,
        "name": priority.name,
        "description": priority.description,
        "color": priority.color,
    }


ROUTES = (
    Route("GET", "/services", list_services, "rest", "services.read"),
    Route("GET", "/services/{id}", get_service, "rest", "services.read"),
    Route("GET", "/priorities", list_priorities, "rest", "priorities.read"),
    Route("GET", "/abilities", list_abilities, "rest", "abilities.read"),
)
