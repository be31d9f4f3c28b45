"""PagerDuty Scoped OAuth helpers: PKCE, authorize URL, token endpoint, id_token checks."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations.pagerduty.oauth import (
    REQUESTED_SCOPES,
    OAuthError,
    build_authorize_url,
    describe_authorization_error,
    exchange_code,
    generate_pkce_pair,
    generate_state,
    missing_scopes,
    refresh_access_token,
    verify_id_token,
)

IDENTITY_URL = "https://identity.pagerduty.test"
TOKEN_URL = f"{IDENTITY_URL}/oauth/token"
JWKS_URL = f"{IDENTITY_URL}/global/oauth/anonymous/jwks"
CLIENT_ID = "8e9146fe-669e-4c67-bb38-d82a889b36ef"


def form_of(call: Any) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(call.request.body).items()}


# --------------------------------------------------------------------------------------------
# PKCE and the authorize URL
# --------------------------------------------------------------------------------------------


def test_pkce_pair_is_a_64_char_verifier_and_its_s256_challenge() -> None:
    verifier, challenge = generate_pkce_pair()

    assert len(verifier) == 64
    assert set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert challenge == expected.decode()
    assert "=" not in challenge
    assert generate_pkce_pair()[0] != verifier


def test_state_values_are_unguessable_and_distinct() -> None:
    assert len(generate_state()) >= 40
    assert generate_state() != generate_state()


def test_authorize_url_asks_for_code_with_pkce_s256_and_all_scopes() -> None:
    url = build_authorize_url(
        identity_url=IDENTITY_URL + "/",
        client_id=CLIENT_ID,
        redirect_uri="https://app.example/pagerduty/callback",
        state="state-1",
        code_challenge="challenge-1",
    )

    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{IDENTITY_URL}/oauth/authorize"
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["redirect_uri"] == ["https://app.example/pagerduty/callback"]
    assert query["state"] == ["state-1"]
    assert query["code_challenge"] == ["challenge-1"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["scope"] == [" ".join(REQUESTED_SCOPES)]
    assert "scope=users.read%20services.read" in parts.query


def test_requested_scopes_match_what_the_app_needs() -> None:
    assert REQUESTED_SCOPES == (
        "users.read",
        "services.read",
        "incidents.read",
        "priorities.read",
        "licenses.read",
        "analytics.write",
        "users:notifications.read",
    )


def test_missing_scopes_lists_requested_scopes_pagerduty_silently_dropped() -> None:
    granted = ("openid", "users.read", "services.read", "incidents.read", "priorities.read")
    assert missing_scopes(granted) == (
        "licenses.read",
        "analytics.write",
        "users:notifications.read",
    )
    assert missing_scopes(REQUESTED_SCOPES) == ()


def test_access_denied_on_the_redirect_has_a_readable_message() -> None:
    message = describe_authorization_error("access_denied", "The resource owner denied")
    assert "denied" in message and "again" in message


# --------------------------------------------------------------------------------------------
# Token endpoint
# --------------------------------------------------------------------------------------------

TOKEN_RESPONSE = {
    "client_info": "prefix_legacy_app",
    "id_token": "header.payload.signature",
    "token_type": "bearer",
    "access_token": "pdus+_0XBPWQQ_access-1",
    "refresh_token": "pdus+_1XBPWQQ_refresh-1",
    "scope": "openid users.read services.read incidents.read",
    "expires_in": 86400,
}


@responses.activate
def test_exchange_code_posts_form_with_secret_and_verifier_and_returns_tokens() -> None:
    responses.add(responses.POST, TOKEN_URL, json=TOKEN_RESPONSE)
    before = datetime.now(UTC)

    tokens = exchange_code(
        identity_url=IDENTITY_URL,
        client_id=CLIENT_ID,
        client_secret="client-secret",
        code="code-1",
        redirect_uri="https://app.example/pagerduty/callback",
        code_verifier="verifier-1",
    )

    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form_of(responses.calls[0]) == {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": "client-secret",
        "code": "code-1",
        "redirect_uri": "https://app.example/pagerduty/callback",
        "code_verifier": "verifier-1",
    }
    assert tokens.access_token == "pdus+_0XBPWQQ_access-1"
    assert tokens.refresh_token == "pdus+_1XBPWQQ_refresh-1"
    assert tokens.id_token == "header.payload.signature"
    assert tokens.granted_scopes == ("openid", "users.read", "services.read", "incidents.read")
    assert tokens.expires_at.tzinfo == UTC
    assert before + timedelta(seconds=86400) <= tokens.expires_at
    assert tokens.expires_at <= datetime.now(UTC) + timedelta(seconds=86400)
    assert "pdus" not in repr(tokens)


@responses.activate
def test_refresh_returns_and_surfaces_the_rotated_refresh_token() -> None:
    responses.add(
        responses.POST,
        TOKEN_URL,
        json={
            "token_type": "bearer",
            "access_token": "access-2",
            "refresh_token": "refresh-2",
            "scope": "openid users.read",
            "expires_in": 86400,
        },
    )

    tokens = refresh_access_token(
        identity_url=IDENTITY_URL,
        client_id=CLIENT_ID,
        client_secret="client-secret",
        refresh_token="refresh-1",
    )

    assert form_of(responses.calls[0]) == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": "client-secret",
        "refresh_token": "refresh-1",
    }
    assert tokens.access_token == "access-2"
    assert tokens.refresh_token == "refresh-2"
    assert tokens.id_token is None


@responses.activate
def test_invalid_grant_on_code_exchange_says_to_start_again() -> None:
    responses.add(
        responses.POST,
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "The provided grant is invalid"},
    )

    with pytest.raises(OAuthError) as raised:
        exchange_code(
            identity_url=IDENTITY_URL,
            client_id=CLIENT_ID,
            client_secret="client-secret",
            code="stale-code",
            redirect_uri="https://app.example/cb",
            code_verifier="verifier",
        )

    assert raised.value.error_code == "invalid_grant"
    assert raised.value.message == (
        "The authorization code expired or was already used; start the connection again."
    )
    assert raised.value.transient is False
    assert len(responses.calls) == 1, "a single-use code is never retried"


@responses.activate
def test_invalid_grant_on_refresh_says_to_reconnect() -> None:
    responses.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})

    with pytest.raises(OAuthError, match="reconnect") as raised:
        refresh_access_token(
            identity_url=IDENTITY_URL,
            client_id=CLIENT_ID,
            client_secret="client-secret",
            refresh_token="refresh-old",
        )
    assert raised.value.error_code == "invalid_grant"


@responses.activate
def test_server_error_and_network_failure_are_transient() -> None:
    responses.add(responses.POST, TOKEN_URL, status=503, body="unavailable")
    responses.add(responses.POST, TOKEN_URL, body=requests.ConnectTimeout("down"))
    arguments = {
        "identity_url": IDENTITY_URL,
        "client_id": CLIENT_ID,
        "client_secret": "client-secret",
        "refresh_token": "refresh-1",
    }

    with pytest.raises(OAuthError) as server_error:
        refresh_access_token(**arguments)
    with pytest.raises(OAuthError) as network_error:
        refresh_access_token(**arguments)

    assert server_error.value.transient and server_error.value.error_code == "server_error"
    assert network_error.value.transient and network_error.value.error_code == "network_error"


@responses.activate
def test_token_response_without_access_token_is_an_error() -> None:
    responses.add(responses.POST, TOKEN_URL, json={"token_type": "bearer"})

    with pytest.raises(OAuthError) as raised:
        refresh_access_token(
            identity_url=IDENTITY_URL,
            client_id=CLIENT_ID,
            client_secret="client-secret",
            refresh_token="refresh-1",
        )
    assert raised.value.error_code == "malformed_response"


# --------------------------------------------------------------------------------------------
# id_token verification
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def jwks(signing_key: rsa.RSAPrivateKey) -> Iterator[responses.RequestsMock]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    jwk.update({"kid": "1787345008", "use": "sig", "alg": "RS256"})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.GET, JWKS_URL, json={"keys": [jwk]})
        yield mock


def make_id_token(
    private_key: rsa.RSAPrivateKey, *, kid: str = "1787345008", **overrides: Any
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "exp": now + 3600,
        "nbf": now - 5,
        "iat": now,
        "iss": "https://identity.pagerduty.com/global/oauth/anonymous",
        "aud": ["https://api.eu.pagerduty.com", CLIENT_ID],
        "sub": "PUSER01",
        "account_id": "PACCT01",
        "user_id": "PUSER01",
        "azp": CLIENT_ID,
        "subdomain": "acme",
        "region": "EuropeanUnion",
    }
    claims.update(overrides)
    return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid})


def test_valid_id_token_yields_account_identity_and_rest_host(
    jwks: responses.RequestsMock, signing_key: rsa.RSAPrivateKey
) -> None:
    claims = verify_id_token(
        id_token=make_id_token(signing_key),
        jwks_url=JWKS_URL,
        client_id=CLIENT_ID,
        issuer="https://identity.pagerduty.com/global/oauth/anonymous",
    )

    assert claims.subdomain == "acme"
    assert claims.region == "EuropeanUnion"
    assert claims.account_id == "PACCT01"
    assert claims.user_id == "PUSER01"
    assert claims.rest_hosts == ("https://api.eu.pagerduty.com",)


def test_id_token_for_another_app_is_rejected(
    jwks: responses.RequestsMock, signing_key: rsa.RSAPrivateKey
) -> None:
    token = make_id_token(signing_key, aud=["https://api.pagerduty.com", "someone-else"])

    with pytest.raises(OAuthError, match="different app") as raised:
        verify_id_token(id_token=token, jwks_url=JWKS_URL, client_id=CLIENT_ID)
    assert raised.value.error_code == "invalid_id_token"


def test_expired_id_token_is_rejected(
    jwks: responses.RequestsMock, signing_key: rsa.RSAPrivateKey
) -> None:
    token = make_id_token(signing_key, exp=int(time.time()) - 3600)

    with pytest.raises(OAuthError, match="expired"):
        verify_id_token(id_token=token, jwks_url=JWKS_URL, client_id=CLIENT_ID)


def test_id_token_signed_by_another_key_is_rejected(
    jwks: responses.RequestsMock, other_key: rsa.RSAPrivateKey
) -> None:
    token = make_id_token(other_key)

    with pytest.raises(OAuthError, match="could not be verified") as raised:
        verify_id_token(id_token=token, jwks_url=JWKS_URL, client_id=CLIENT_ID)
    assert raised.value.error_code == "invalid_id_token"


def test_id_token_with_unknown_key_id_is_rejected(
    jwks: responses.RequestsMock, signing_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(OAuthError, match="unknown key"):
        verify_id_token(
            id_token=make_id_token(signing_key, kid="rotated-away"),
            jwks_url=JWKS_URL,
            client_id=CLIENT_ID,
        )


def test_id_token_with_wrong_issuer_is_rejected_when_an_issuer_is_required(
    jwks: responses.RequestsMock, signing_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(OAuthError, match="issuer"):
        verify_id_token(
            id_token=make_id_token(signing_key, iss="https://evil.example"),
            jwks_url=JWKS_URL,
            client_id=CLIENT_ID,
            issuer="https://identity.pagerduty.com/global/oauth/anonymous",
        )


def test_hs256_token_is_refused(jwks: responses.RequestsMock) -> None:
    token = jwt.encode(
        {"aud": CLIENT_ID, "exp": int(time.time()) + 60},
        "a-shared-secret-of-enough-length-for-hs256",
        algorithm="HS256",
    )

    with pytest.raises(OAuthError, match="RS256"):
        verify_id_token(id_token=token, jwks_url=JWKS_URL, client_id=CLIENT_ID)


@responses.activate
def test_unreachable_jwks_is_a_transient_error(signing_key: rsa.RSAPrivateKey) -> None:
    responses.add(responses.GET, JWKS_URL, status=503)

    with pytest.raises(OAuthError) as raised:
        verify_id_token(id_token=make_id_token(signing_key), jwks_url=JWKS_URL, client_id=CLIENT_ID)
    assert raised.value.transient
    assert raised.value.error_code == "jwks_unavailable"
