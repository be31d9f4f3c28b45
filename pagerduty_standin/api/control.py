"""The stand-in's own `/_control/` endpoints, for tests and benchmarks (no PagerDuty behind them).

No authentication, never rate limited or faulted, not counted in stats:
`GET /_control/health`, `GET /_control/summary` (counts to compare a sync against),
`GET /_control/stats` and `POST /_control/stats/reset` (requests per route, method, status),
`GET|POST /_control/options` (runtime options; `{"revoke_all_tokens": true}` revokes),
`POST /_control/revoke_all_tokens`, `POST /_control/incidents` (`{"count", "status",
"service_id", "urgency"}`), `POST /_control/incidents/{id}/resolve` (`{"note", "user_id"}`),
`POST /_control/incidents/{id}/acknowledge`, `POST /_control/incidents/{id}/notes`
(`{"content", "user_id"}`), `POST /_control/users/{id}/remove`,
`POST /_control/users/{id}/sign_in` and `POST /_control/users/{id}/role` (`{"role"}`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pagerduty_standin.account import audit, changes
from pagerduty_standin.account.formats import format_timestamp
from pagerduty_standin.account.records import TRIGGERED, Incident, InvalidRequestError
from pagerduty_standin.api.incident_shapes import render_incident, render_note
from pagerduty_standin.api.protocol import (
    ApiError,
    Request,
    Response,
    Route,
    error_response,
    invalid_input,
    json_response,
)
from pagerduty_standin.api.rendering import Renderer

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer


def control_health(server: StandinServer, request: Request) -> Response:
    return json_response({"ok": True, "url": server.url})


def control_summary(server: StandinServer, request: Request) -> Response:
    return json_response(
        {
            **server.dataset.summary(),
            "url": server.url,
            "api_keys": list(server.options.api_keys),
            "oauth_client_id": server.options.oauth_client_id,
            **server.oauth.token_counts(),
        }
    )


def control_stats(server: StandinServer, request: Request) -> Response:
    return json_response(server.stats())


def control_reset_stats(server: StandinServer, request: Request) -> Response:
    server.reset_stats()
    return json_response(server.stats())


def control_get_options(server: StandinServer, request: Request) -> Response:
    return json_response(server.runtime_options())


def control_set_options(server: StandinServer, request: Request) -> Response:
    try:
        return json_response(server.update_options(**request.json_body()))
    except (InvalidRequestError, TypeError, ValueError) as error:
        return error_response(invalid_input(str(error)))


def control_revoke_all_tokens(server: StandinServer, request: Request) -> Response:
    return json_response({"revoked": server.revoke_all_tokens()})


def control_add_incidents(server: StandinServer, request: Request) -> Response:
    body = _control_body(request)
    incidents = changes.incidents_create(
        server.dataset,
        count=int(body.get("count", 1)),
        status=body.get("status", TRIGGERED),
        service_id=body.get("service_id"),
        urgency=body.get("urgency"),
    )
    renderer = Renderer(server, None)
    with server.dataset.lock:
        return json_response(
            {
                "incidents": [
                    render_incident(renderer, incident, frozenset()) for incident in incidents
                ]
            }
        )


def control_resolve_incident(server: StandinServer, request: Request) -> Response:
    body = _control_body(request)
    incident = changes.incident_resolve(
        server.dataset,
        incident_id=request.path_parameters["id"],
        note=body.get("note"),
        user_id=body.get("user_id"),
    )
    return _incident_response(server, incident)


def control_acknowledge_incident(server: StandinServer, request: Request) -> Response:
    body = _control_body(request)
    incident = changes.incident_acknowledge(
        server.dataset, incident_id=request.path_parameters["id"], user_id=body.get("user_id")
    )
    return _incident_response(server, incident)


def control_add_note(server: StandinServer, request: Request) -> Response:
    body = _control_body(request)
    content = body.get("content") or body.get("note")
    if not content:
        return error_response(invalid_input("content is required."))
    note = changes.incident_add_note(
        server.dataset,
        incident_id=request.path_parameters["id"],
        content=content,
        user_id=body.get("user_id"),
    )
    with server.dataset.lock:
        return json_response({"note": render_note(Renderer(server, None), note)})


def control_remove_user(server: StandinServer, request: Request) -> Response:
    user = changes.user_remove(server.dataset, user_id=request.path_parameters["id"])
    return json_response({"user": {"id": user.id, "removed_at": format_timestamp(user.removed_at)}})


def control_sign_in_user(server: StandinServer, request: Request) -> Response:
    user = changes.user_record_sign_in(server.dataset, user_id=request.path_parameters["id"])
    return json_response(
        {"user": {"id": user.id, "last_sign_in_at": format_timestamp(user.last_sign_in_at)}}
    )


def control_change_user_role(server: StandinServer, request: Request) -> Response:
    role = _control_body(request).get("role") or ""
    try:
        user = audit.user_change_role(
            server.dataset, user_id=request.path_parameters["id"], role=role
        )
    except InvalidRequestError as error:
        return error_response(invalid_input(str(error)))
    return json_response({"user": {"id": user.id, "role": user.role}})


def _incident_response(server: StandinServer, incident: Incident) -> Response:
    with server.dataset.lock:
        return json_response(
            {"incident": render_incident(Renderer(server, None), incident, frozenset())}
        )


def _control_body(request: Request) -> dict[str, Any]:
    """Control calls are forgiving: a missing or broken body means no arguments."""
    try:
        return request.json_body()
    except ApiError:
        return {}


ROUTES = (
    Route("GET", "/_control/health", control_health, "control"),
    Route("GET", "/_control/summary", control_summary, "control"),
    Route("GET", "/_control/stats", control_stats, "control"),
    Route("POST", "/_control/stats/reset", control_reset_stats, "control"),
    Route("GET", "/_control/options", control_get_options, "control"),
    Route("POST", "/_control/options", control_set_options, "control"),
    Route("POST", "/_control/revoke_all_tokens", control_revoke_all_tokens, "control"),
    Route("POST", "/_control/incidents", control_add_incidents, "control"),
    Route("POST", "/_control/incidents/{id}/resolve", control_resolve_incident, "control"),
    Route("POST", "/_control/incidents/{id}/acknowledge", control_acknowledge_incident, "control"),
    Route("POST", "/_control/incidents/{id}/notes", control_add_note, "control"),
    Route("POST", "/_control/users/{id}/remove", control_remove_user, "control"),
    Route("POST", "/_control/users/{id}/sign_in", control_sign_in_user, "control"),
    Route("POST", "/_control/users/{id}/role", control_change_user_role, "control"),
)
