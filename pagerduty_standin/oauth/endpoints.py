"""PagerDuty's identity endpoints over HTTP: `/oauth/authorize` (consent page and decision),
`/oauth/token`, and the OpenID discovery documents (`jwks`, `openid-configuration`).

There is no real sign-in: the consent page lets the tester pick which account user approves
(the owner unless `login_hint` names another), and `oauth_auto_approve` skips the page.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from pagerduty_standin.api.protocol import (
    Request,
    Response,
    Route,
    html_response,
    json_response,
    redirect_response,
)
from pagerduty_standin.oauth.pages import consent_page, error_page
from pagerduty_standin.oauth.provider import AuthorizePageError, AuthorizeRedirect, OAuthError

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer

# Roles offered as "signed in as" on the consent page, besides the owner (at most 25 users).
SIGN_IN_CHOICE_ROLES = ("admin", "user", "limited_user", "read_only_user")
SIGN_IN_CHOICE_COUNT = 25


def oauth_authorize_page(server: StandinServer, request: Request) -> Response:
    params = {key: values[-1] for key, values in request.query.items()}
    return _authorize(server, params, decision=None)


def oauth_authorize_decision(server: StandinServer, request: Request) -> Response:
    params = request.form()
    return _authorize(server, params, decision=params.get("decision"))


def oauth_token(server: StandinServer, request: Request) -> Response:
    """Client credentials come in the form or as HTTP Basic; answers are never cached."""
    basic_credentials = None
    authorization = request.headers.get("Authorization") or ""
    if authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
            client_id, _, client_secret = decoded.partition(":")
            basic_credentials = (client_id, client_secret)
        except ValueError:
            basic_credentials = ("", "")
    try:
        response = json_response(server.oauth.token(request.form(), basic_credentials))
    except OAuthError as error:
        response = json_response(error.body(), error.status)
    response.headers.append(("Cache-Control", "no-store"))
    return response


def oauth_jwks(server: StandinServer, request: Request) -> Response:
    return json_response(server.oauth.jwks())


def oauth_openid_configuration(server: StandinServer, request: Request) -> Response:
    return json_response(server.oauth.openid_configuration())


def _authorize(server: StandinServer, params: dict[str, str], decision: str | None) -> Response:
    """Bad client or redirect URI: an error page; other problems go back to the app."""
    try:
        authorization = server.oauth.validate_authorize(params)
    except AuthorizePageError as error:
        return html_response(error_page(error.message), 400)
    except AuthorizeRedirect as redirect:
        return redirect_response(redirect.location)
    dataset = server.dataset
    user_id = params.get("user_id") or _default_authorizing_user(server, params.get("login_hint"))
    if user_id not in dataset.user_by_id:
        return html_response(error_page("Unknown user."), 400)
    if decision is None and server.options.oauth_auto_approve:
        decision = "approve"
    if decision == "approve":
        return redirect_response(server.oauth.approve(authorization, user_id))
    if decision == "deny":
        return redirect_response(server.oauth.deny(authorization))
    page = consent_page(
        authorization,
        subdomain=server.options.subdomain,
        signed_in_choices=_sign_in_choices(server),
        selected_user_id=user_id,
    )
    return html_response(page)


def _default_authorizing_user(server: StandinServer, login_hint: str | None) -> str:
    if login_hint:
        user = server.dataset.user_by_email.get(login_hint.lower())
        if user is not None:
            return user.id
    return server.dataset.users[0].id


def _sign_in_choices(server: StandinServer) -> list[tuple[str, str]]:
    owner = server.dataset.users[0]
    others = [
        user
        for user in server.dataset.active_users()
        if user.role in SIGN_IN_CHOICE_ROLES and user is not owner
    ][:SIGN_IN_CHOICE_COUNT]
    return [(user.id, f"{user.name} <{user.email}> ({user.role})") for user in [owner, *others]]


ROUTES = (
    Route("GET", "/oauth/authorize", oauth_authorize_page, "identity"),
    Route("POST", "/oauth/authorize", oauth_authorize_decision, "identity"),
    Route("POST", "/oauth/token", oauth_token, "identity"),
    Route("GET", "/global/oauth/anonymous/jwks", oauth_jwks, "identity"),
    Route(
        "GET",
        "/global/oauth/anonymous/.well-known/openid-configuration",
        oauth_openid_configuration,
        "identity",
    ),
)
