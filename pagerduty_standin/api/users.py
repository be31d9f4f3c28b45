"""`GET /users`, `/users/me`, `/users/{id}` and `/teams`: PagerDuty's people and teams.

Removed users vanish from every list and give 404, as a deleted PagerDuty user does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pagerduty_standin.account.records import User
from pagerduty_standin.api.limits import paginate
from pagerduty_standin.api.protocol import Request, Response, Route, arguments_error, json_response
from pagerduty_standin.api.rendering import Renderer

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer


def list_users(server: StandinServer, request: Request) -> Response:
    """Sorted by name; `query` matches name or email, `team_ids[]` filters by team."""
    dataset = server.dataset
    search = request.search()
    team_ids = set(request.many("team_ids"))
    renderer = Renderer.for_request(server, request)
    includes = request.includes()
    with dataset.lock:
        users = [
            user
            for user in dataset.active_users()
            if (not search or search in user.name.lower() or search in user.email.lower())
            and (
                not team_ids
                or any(dataset.teams[index].id in team_ids for index in user.team_indices)
            )
        ]
    return paginate(
        request,
        "users",
        users,
        lambda user: render_user(renderer, user, includes),
        lock=dataset.lock,
    )


def current_user(server: StandinServer, request: Request) -> Response:
    """`/users/me` only makes sense for a user's token; an account-level key gets a 400."""
    credential = request.credential
    if credential is None or credential.user_id is None:
        raise arguments_error(
            "This endpoint can only be used with a user-level API key or a token obtained "
            "through an OAuth flow; account-level API keys have no current user."
        )
    return _user_response(server, request, credential.user_id)


def get_user(server: StandinServer, request: Request) -> Response:
    return _user_response(server, request, request.path_parameters["id"])


def _user_response(server: StandinServer, request: Request, user_id: str) -> Response:
    with server.dataset.lock:
        user = server.dataset.get_user(user_id)
        renderer = Renderer.for_request(server, request)
        return json_response({"user": render_user(renderer, user, request.includes())})


def list_teams(server: StandinServer, request: Request) -> Response:
    renderer = Renderer.for_request(server, request)
    search = request.search()
    teams = sorted(
        (team for team in server.dataset.teams if search in team.name.lower()),
        key=lambda team: team.name.lower(),
    )
    return paginate(request, "teams", teams, renderer.team, lock=server.dataset.lock)


def render_user(
    renderer: Renderer, user: User, includes: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A whole user, with default contact method and notification rule references."""
    api = renderer.api
    return {
        "id": user.id,
        "type": "user",
        "summary": user.name,
        "self": f"{api}/users/{user.id}",
        "html_url": f"{renderer.web}/users/{user.id}",
        "name": user.name,
        "email": user.email,
        "time_zone": user.time_zone,
        "color": user.color,
        "role": user.role,
        "avatar_url": "https://pd-static-assets.pagerduty.com/users/blank-avatar.png",
        "description": user.description,
        "invitation_sent": user.invitation_sent,
        "created_via_sso": user.created_via_sso,
        "job_title": user.job_title,
        "teams": renderer.teams(
            [renderer.dataset.teams[index] for index in user.team_indices], includes
        ),
        "contact_methods": [
            {
                "id": user.contact_method_id,
                "type": "email_contact_method_reference",
                "summary": "Default",
                "self": f"{api}/users/{user.id}/contact_methods/{user.contact_method_id}",
                "html_url": None,
            }
        ],
        "notification_rules": [
            {
                "id": user.notification_rule_id,
                "type": "assignment_notification_rule_reference",
                "summary": "Default",
                "self": f"{api}/users/{user.id}/notification_rules/{user.notification_rule_id}",
                "html_url": None,
            }
        ],
        "coordinated_incidents": [],
    }


ROUTES = (
    Route("GET", "/users", list_users, "rest", "users.read"),
    Route("GET", "/users/me", current_user, "rest", None),
    Route("GET", "/users/{id}", get_user, "rest", "users.read"),
    Route("GET", "/teams", list_teams, "rest", "teams.read"),
)
