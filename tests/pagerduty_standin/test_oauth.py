"""Scoped OAuth: authorization code with PKCE, id_token and JWKS, rotating refresh tokens, client
credentials, expiry, withheld and invalid scopes, revoking every token.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from pagerduty_standin import DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET, StandinServer
from tests.pagerduty_standin.conftest import (
    APP_SCOPES,
    REDIRECT_URI,
    authorize,
    bearer,
    control,
    exchange_code,
    make_pkce_pair,
    refresh,
    small_options,
)

pytestmark = pytest.mark.standin


def test_oauth_authorization_code_flow_with_pkce(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()

    redirect = authorize(fresh_server, challenge, scope=f"{APP_SCOPES} made.up.scope")
    tokens = exchange_code(fresh_server, redirect["code"][0], verifier).json()

    assert redirect["state"] == ["state-123"]
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 86_400
    granted = set(tokens["scope"].split())
    assert granted == set(APP_SCOPES.split()) | {"openid"}
    users = requests.get(
        f"{fresh_server.url}/users", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert users.status_code == 200
    me = requests.get(
        f"{fresh_server.url}/users/me", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert me.json()["user"]["role"] == "owner"


def test_id_token_verifies_against_the_jwks(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]
    tokens = exchange_code(fresh_server, code, verifier).json()

    jwks_client = jwt.PyJWKClient(f"{fresh_server.url}/global/oauth/anonymous/jwks")
    signing_key = jwks_client.get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(
        tokens["id_token"],
        signing_key.key,
        algorithms=["RS256"],
        audience=DEFAULT_OAUTH_CLIENT_ID,
        issuer=f"{fresh_server.url}/global/oauth/anonymous",
    )

    assert jwt.get_unverified_header(tokens["id_token"])["kid"] == signing_key.key_id
    assert fresh_server.url in claims["aud"]
    assert claims["subdomain"] == "demo"
    assert claims["region"] == "UnitedStates"
    assert claims["account_id"] == fresh_server.dataset.account_id
    assert claims["user_id"] == fresh_server.dataset.users[0].id
    assert claims["exp"] > claims["iat"]


def test_wrong_pkce_verifier_is_refused(fresh_server: StandinServer) -> None:
    _, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]

    response = exchange_code(fresh_server, code, "not-the-verifier")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_authorization_code_cannot_be_used_twice(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]

    assert exchange_code(fresh_server, code, verifier).status_code == 200
    reuse = exchange_code(fresh_server, code, verifier)

    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"


def test_authorization_without_pkce_is_sent_back_as_invalid_request(
    fresh_server: StandinServer,
) -> None:
    response = requests.get(
        f"{fresh_server.url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": DEFAULT_OAUTH_CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": APP_SCOPES,
            "state": "s",
        },
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_request"]


def test_unknown_client_gets_an_error_page_not_a_redirect(fresh_server: StandinServer) -> None:
    response = requests.get(
        f"{fresh_server.url}/oauth/authorize",
        params={"client_id": "nope", "redirect_uri": REDIRECT_URI, "response_type": "code"},
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_deny_redirects_with_access_denied_and_state(fresh_server: StandinServer) -> None:
    _, challenge = make_pkce_pair()

    redirect = authorize(fresh_server, challenge, decision="deny", state="xyz")

    assert redirect["error"] == ["access_denied"]
    assert redirect["state"] == ["xyz"]
    assert "code" not in redirect


def test_refresh_rotates_and_the_old_refresh_token_stops_working(
    fresh_server: StandinServer,
) -> None:
    verifier, challenge = make_pkce_pair()
    tokens = exchange_code(fresh_server, authorize(fresh_server, challenge)["code"][0], verifier)
    first_refresh = tokens.json()["refresh_token"]

    rotated = refresh(fresh_server, first_refresh)
    replay = refresh(fresh_server, first_refresh)

    assert rotated.status_code == 200
    new_tokens = rotated.json()
    assert new_tokens["refresh_token"] != first_refresh
    assert "id_token" not in new_tokens
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert refresh(fresh_server, new_tokens["refresh_token"]).status_code == 200


def test_refresh_token_sent_without_form_encoding_is_rejected(
    fresh_server: StandinServer,
) -> None:
    """PagerDuty tokens contain '+', which an unencoded form body turns into a space."""
    verifier, challenge = make_pkce_pair()
    tokens = exchange_code(fresh_server, authorize(fresh_server, challenge)["code"][0], verifier)
    refresh_token = tokens.json()["refresh_token"]
    assert "+" in refresh_token

    response = requests.post(
        f"{fresh_server.url}/oauth/token",
        data=(
            f"grant_type=refresh_token&client_id={DEFAULT_OAUTH_CLIENT_ID}"
            f"&client_secret={DEFAULT_OAUTH_CLIENT_SECRET}&refresh_token={refresh_token}"
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )

    assert response.json()["error"] == "invalid_grant"


def test_expired_access_token_is_a_401() -> None:
    options = small_options(incident_count=50, access_token_ttl_seconds=1)
    with StandinServer(options) as short_lived:
        verifier, challenge = make_pkce_pair()
        code = authorize(short_lived, challenge)["code"][0]
        access_token = exchange_code(short_lived, code, verifier).json()["access_token"]
        assert requests.get(f"{short_lived.url}/users", headers=bearer(access_token), timeout=5).ok

        time.sleep(1.2)
        expired = requests.get(f"{short_lived.url}/users", headers=bearer(access_token), timeout=5)

    assert expired.status_code == 401


def test_withheld_scope_gives_403_on_its_endpoints() -> None:
    options = small_options(incident_count=50, withhold_scopes=("incidents.read",))
    with StandinServer(options) as partial:
        verifier, challenge = make_pkce_pair()
        tokens = exchange_code(partial, authorize(partial, challenge)["code"][0], verifier).json()
        incidents = requests.get(
            f"{partial.url}/incidents", headers=bearer(tokens["access_token"]), timeout=5
        )
        users = requests.get(
            f"{partial.url}/users", headers=bearer(tokens["access_token"]), timeout=5
        )

    assert "incidents.read" not in tokens["scope"].split()
    assert incidents.status_code == 403
    assert users.status_code == 200


def test_strict_reading_of_invalid_scopes_leaves_only_openid() -> None:
    options = small_options(incident_count=50, invalid_scope_grants_only_openid=True)
    with StandinServer(options) as strict:
        verifier, challenge = make_pkce_pair()
        code = authorize(strict, challenge, scope=f"{APP_SCOPES} read")["code"][0]
        tokens = exchange_code(strict, code, verifier).json()

    assert tokens["scope"] == "openid"


def test_client_credentials_give_an_app_token_without_a_user(fresh_server: StandinServer) -> None:
    response = requests.post(
        f"{fresh_server.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEFAULT_OAUTH_CLIENT_ID,
            "client_secret": DEFAULT_OAUTH_CLIENT_SECRET,
            "scope": "as_account-us.demo users.read",
        },
        timeout=10,
    )
    token = response.json()

    assert token["scope"] == "as_account-us.demo users.read"
    assert "refresh_token" not in token
    headers = bearer(token["access_token"])
    assert requests.get(f"{fresh_server.url}/users", headers=headers, timeout=5).ok
    assert (
        requests.get(f"{fresh_server.url}/users/me", headers=headers, timeout=5).status_code == 400
    )


def test_revoke_all_tokens_makes_existing_tokens_401(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]
    tokens = exchange_code(fresh_server, code, verifier).json()

    control(fresh_server, "/options", {"revoke_all_tokens": True})

    revoked = requests.get(
        f"{fresh_server.url}/users", headers=bearer(tokens["access_token"]), timeout=5
    )
    assert revoked.status_code == 401
    assert refresh(fresh_server, tokens["refresh_token"]).json()["error"] == "invalid_grant"
