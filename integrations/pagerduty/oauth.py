"""PagerDuty Scoped OAuth: authorization code flow with PKCE, token refresh, id_token checks.

HTTP here goes to PagerDuty's identity host (``https://identity.pagerduty.com`` by default,
configurable so development and tests can use a stand-in), never to the REST API.

PagerDuty behaviours handled:

* Scoped OAuth always requires PKCE (S256) *and* the client secret on the token request.
* The authorization code lives about 30 seconds, so the exchange is never retried: a retry after
  a lost response would only meet ``invalid_grant``.
* Every refresh returns a new refresh token (the old one stops working); ``TokenSet`` surfaces
  it so the caller can store it atomically. Refreshes are not retried automatically either: if
  PagerDuty rotated the token but the answer was lost, retrying with the old token fails.
* An unknown scope is not an error: the token silently gets fewer scopes, so the granted scopes
  are read from the token response's ``scope`` and ``missing_scopes`` reports the gap.
* The ``id_token`` (RS256 JWT, keys at the JWKS URL) names the account's subdomain, region,
  account and user, and its ``aud`` holds the REST host of the account's region.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import jwt
import requests

logger = logging.getLogger(__name__)

# The scopes this app asks PagerDuty for (the single place this list lives). The analytics POST
# endpoints need analytics.write although they only read.
REQUESTED_SCOPES: tuple[str, ...] = (
    "users.read",
    "services.read",
    "incidents.read",
    "priorities.read",
    "licenses.read",
    "analytics.write",
    "users:notifications.read",
)

DEFAULT_TIMEOUT_SECONDS: tuple[float, float] = (5.0, 20.0)
# Used only if a token response omits expires_in: Scoped OAuth access tokens live one day.
FALLBACK_ACCESS_TOKEN_LIFETIME = timedelta(days=1)
ID_TOKEN_CLOCK_LEEWAY_SECONDS = 60
PKCE_VERIFIER_RANDOM_BYTES = 48  # encodes to 64 URL-safe characters


class OAuthError(Exception):
    """A failed OAuth step, with a message a user can act on.

    ``error_code`` is the OAuth error (``invalid_grant``, ``invalid_client``, ...) or one of ours
    (``network_error``, ``server_error``, ``malformed_response``, ``invalid_id_token``,
    ``jwks_unavailable``). ``transient`` is True when trying again later may succeed.
    """

    def __init__(
        self,
        message: str,
        error_code: str,
        *,
        transient: bool = False,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code
        self.transient = transient
        self.status_code = status_code

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class TokenSet:
    """What PagerDuty's token endpoint returned, ready to store (never log it)."""

    access_token: str
    refresh_token: str | None
    expires_at: datetime
    granted_scopes: tuple[str, ...]
    id_token: str | None

    def __repr__(self) -> str:
        return (
            f"TokenSet(expires_at={self.expires_at.isoformat()}, "
            f"granted_scopes={self.granted_scopes!r}, tokens=***)"
        )


@dataclass(frozen=True)
class IdentityClaims:
    """Who authorized, on which account and region, from a verified PagerDuty id_token."""

    subdomain: str
    region: str
    account_id: str
    user_id: str
    rest_hosts: tuple[str, ...]


# --------------------------------------------------------------------------------------------
# Authorization request
# --------------------------------------------------------------------------------------------


def generate_pkce_pair() -> tuple[str, str]:
    """Return ``(code_verifier, code_challenge)`` for PKCE S256, which Scoped OAuth requires.

    The verifier is 64 URL-safe characters; the challenge is base64url(SHA-256(verifier))
    without padding, as PagerDuty and RFC 7636 specify.
    """
    code_verifier = secrets.token_urlsafe(PKCE_VERIFIER_RANDOM_BYTES)
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    code_challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return code_verifier, code_challenge


def generate_state() -> str:
    """An unguessable ``state`` value binding the callback to the session that started it."""
    return secrets.token_urlsafe(32)


def build_authorize_url(
    *,
    identity_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scopes: Iterable[str] = REQUESTED_SCOPES,
) -> str:
    """The URL that sends the user to PagerDuty to log in and consent.

    Scopes are space-separated (``%20``-encoded); ``code_challenge_method=S256`` is mandatory
    for Scoped OAuth.
    """
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        },
        quote_via=quote,
    )
    return f"{identity_url.rstrip('/')}/oauth/authorize?{query}"


_AUTHORIZATION_ERROR_MESSAGES = {
    "access_denied": "The PagerDuty connection was cancelled or access was denied. "
    "Start the connection again and approve the requested access.",
    "invalid_scope": "PagerDuty did not accept the requested scopes. Check that the PagerDuty "
    "app has the required scopes configured, then connect again.",
    "unauthorized_client": "This PagerDuty app is not allowed to request authorization. Check "
    "that the app has Scoped OAuth enabled and the redirect URL registered.",
}


def describe_authorization_error(error_code: str, error_description: str | None = None) -> str:
    """A user-readable message for an ``?error=...`` PagerDuty put on the redirect back to us."""
    message = _AUTHORIZATION_ERROR_MESSAGES.get(
        error_code, "PagerDuty could not complete the authorization. Start the connection again."
    )
    if error_description and error_code not in _AUTHORIZATION_ERROR_MESSAGES:
        message = f"{message} (PagerDuty said: {error_description})"
    return message


# --------------------------------------------------------------------------------------------
# Token endpoint
# --------------------------------------------------------------------------------------------


def exchange_code(
    *,
    identity_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT_SECONDS,
) -> TokenSet:
    """Exchange the authorization code (valid ~30 s, single use) for tokens.

    Sends both the client secret and the PKCE verifier, as Scoped OAuth requires. Not retried.
    """
    return _request_tokens(
        identity_url=identity_url,
        form={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
        session=session,
        timeout=timeout,
        previous_refresh_token=None,
    )


def refresh_access_token(
    *,
    identity_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT_SECONDS,
) -> TokenSet:
    """Trade the refresh token for a new access token *and a new refresh token*.

    PagerDuty rotates the refresh token on every refresh: store ``TokenSet.refresh_token``
    atomically with the access token before using either. (Should a response ever omit it, the
    token we sent stays in ``refresh_token``, as OAuth 2.0 prescribes.) Not retried.
    """
    return _request_tokens(
        identity_url=identity_url,
        form={
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        },
        session=session,
        timeout=timeout,
        previous_refresh_token=refresh_token,
    )


def missing_scopes(granted: Iterable[str]) -> tuple[str, ...]:
    """Requested scopes PagerDuty did not grant (it never errors on them, it just drops them)."""
    granted_set = set(granted)
    return tuple(scope for scope in REQUESTED_SCOPES if scope not in granted_set)


_TOKEN_ERROR_MESSAGES = {
    ("authorization_code", "invalid_grant"): "The authorization code expired or was already "
    "used; start the connection again.",
    ("refresh_token", "invalid_grant"): "PagerDuty no longer accepts the stored refresh token "
    "(unused for 30 days, revoked, or past the one-year limit); reconnect the PagerDuty account.",
    ("authorization_code", "invalid_client"): "PagerDuty did not recognise the app's client ID "
    "or secret; check the PagerDuty app credentials in the settings.",
    ("refresh_token", "invalid_client"): "PagerDuty did not recognise the app's client ID or "
    "secret; check the PagerDuty app credentials in the settings.",
    ("authorization_code", "invalid_request"): "PagerDuty rejected the token request as "
    "incomplete (for example a PKCE or redirect URL mismatch); start the connection again.",
    ("refresh_token", "invalid_request"): "PagerDuty rejected the token refresh request; "
    "reconnect the PagerDuty account.",
    ("authorization_code", "unauthorized_client"): "This PagerDuty app may not use this grant; "
    "check that Scoped OAuth is enabled on the app.",
    ("refresh_token", "unauthorized_client"): "This PagerDuty app may not refresh tokens; check "
    "that Scoped OAuth is enabled on the app.",
}


def _request_tokens(
    *,
    identity_url: str,
    form: dict[str, str],
    session: requests.Session | None,
    timeout: tuple[float, float],
    previous_refresh_token: str | None,
) -> TokenSet:
    """POST a form-urlencoded grant to ``{identity_url}/oauth/token`` and read the answer."""
    grant_type = form["grant_type"]
    http = session or requests.Session()
    url = f"{identity_url.rstrip('/')}/oauth/token"
    try:
        response = http.post(
            url,
            data=form,
            headers={"Accept": "application/json", "User-Agent": "sprintolike/1"},
            timeout=timeout,
        )
    except (requests.ConnectionError, requests.Timeout) as error:
        logger.warning("PagerDuty token request (%s) failed: %s", grant_type, type(error).__name__)
        raise OAuthError(
            "PagerDuty's sign-in service could not be reached; try again in a moment.",
            "network_error",
            transient=True,
        ) from error
    logger.info("PagerDuty token request (%s) -> %d", grant_type, response.status_code)

    try:
        payload: Any = response.json()
    except ValueError:
        payload = None

    if response.status_code >= 500:
        raise OAuthError(
            "PagerDuty's sign-in service is having trouble; try again in a moment.",
            "server_error",
            transient=True,
            status_code=response.status_code,
        )
    if response.status_code >= 400 or not isinstance(payload, dict) or "error" in payload:
        raise _token_error(grant_type, response.status_code, payload)

    access_token = payload.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise OAuthError(
            "PagerDuty's token response had no access token; try connecting again.",
            "malformed_response",
            status_code=response.status_code,
        )
    refresh_token = payload.get("refresh_token") or previous_refresh_token
    expires_in = payload.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        lifetime = timedelta(seconds=float(expires_in))
    else:
        logger.warning("PagerDuty token response had no expires_in; assuming one day")
        lifetime = FALLBACK_ACCESS_TOKEN_LIFETIME
    scope_text = payload.get("scope") or ""
    id_token = payload.get("id_token")
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh_token if isinstance(refresh_token, str) else None,
        expires_at=datetime.now(UTC) + lifetime,
        granted_scopes=tuple(str(scope_text).split()),
        id_token=id_token if isinstance(id_token, str) and id_token else None,
    )


def _token_error(grant_type: str, status_code: int, payload: Any) -> OAuthError:
    error_code = "unknown_error"
    description = ""
    if isinstance(payload, dict):
        error_code = str(payload.get("error") or error_code)
        description = str(payload.get("error_description") or "")
    message = _TOKEN_ERROR_MESSAGES.get((grant_type, error_code))
    if message is None:
        message = "PagerDuty refused the token request"
        message += f" ({description})." if description else f" (error: {error_code})."
        message += " Start the connection again."
    return OAuthError(message, error_code, status_code=status_code)


# --------------------------------------------------------------------------------------------
# id_token
# --------------------------------------------------------------------------------------------


def verify_id_token(
    *,
    id_token: str,
    jwks_url: str,
    client_id: str,
    issuer: str | None = None,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = DEFAULT_TIMEOUT_SECONDS,
) -> IdentityClaims:
    """Verify a PagerDuty id_token and return the account identity it carries.

    Accepts RS256 only, checks the signature against the JWKS (fetched on every call: PagerDuty
    says its signing key may rotate at any time), ``exp``, and that ``aud`` contains our client
    id. ``issuer`` is optional because PagerDuty's docs name
    ``https://identity.pagerduty.com/global/oauth/anonymous`` while their sample token carries an
    ``app.pagerduty.com`` issuer. ``rest_hosts`` are the URL-shaped ``aud`` values (the REST host
    of the account's region, e.g. ``https://api.eu.pagerduty.com``).
    """
    signing_key = _signing_key_for(id_token, jwks_url=jwks_url, session=session, timeout=timeout)
    options: dict[str, Any] = {"require": ["exp", "aud"]}
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=signing_key,
            algorithms=["RS256"],
            audience=client_id,
            issuer=issuer,
            leeway=ID_TOKEN_CLOCK_LEEWAY_SECONDS,
            options=options,
        )
    except jwt.ExpiredSignatureError as error:
        raise _id_token_error("PagerDuty's identity token has expired; connect again.") from error
    except jwt.InvalidAudienceError as error:
        raise _id_token_error(
            "PagerDuty's identity token was issued to a different app; connect again."
        ) from error
    except jwt.InvalidIssuerError as error:
        raise _id_token_error(
            "PagerDuty's identity token came from an unexpected issuer; connect again."
        ) from error
    except jwt.InvalidTokenError as error:
        raise _id_token_error(
            f"PagerDuty's identity token could not be verified ({type(error).__name__}); "
            "connect again."
        ) from error

    audiences = claims.get("aud")
    audience_values = [audiences] if isinstance(audiences, str) else list(audiences or [])
    rest_hosts = tuple(
        str(value).rstrip("/")
        for value in audience_values
        if str(value).startswith(("https://", "http://"))
    )
    missing = [
        name for name in ("subdomain", "region", "account_id", "user_id") if not claims.get(name)
    ]
    if missing:
        raise _id_token_error(
            f"PagerDuty's identity token lacks {', '.join(missing)}; connect again."
        )
    return IdentityClaims(
        subdomain=str(claims["subdomain"]),
        region=str(claims["region"]),
        account_id=str(claims["account_id"]),
        user_id=str(claims["user_id"]),
        rest_hosts=rest_hosts,
    )


def _id_token_error(message: str) -> OAuthError:
    return OAuthError(message, "invalid_id_token")


def _signing_key_for(
    id_token: str,
    *,
    jwks_url: str,
    session: requests.Session | None,
    timeout: tuple[float, float],
) -> Any:
    """Fetch the JWKS and pick the RSA key named by the token's ``kid``."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.InvalidTokenError as error:
        raise _id_token_error("PagerDuty's identity token is not a valid JWT.") from error
    if header.get("alg") != "RS256":
        raise _id_token_error("PagerDuty's identity token is not signed with RS256.")

    http = session or requests.Session()
    try:
        response = http.get(jwks_url, headers={"Accept": "application/json"}, timeout=timeout)
        response.raise_for_status()
        jwks = response.json()
    except (requests.RequestException, ValueError) as error:
        raise OAuthError(
            "PagerDuty's signing keys could not be fetched to verify the sign-in; try again.",
            "jwks_unavailable",
            transient=True,
        ) from error

    try:
        if not isinstance(jwks, dict):
            raise jwt.PyJWKSetError("The JWKS is not a JSON object")
        key_set = jwt.PyJWKSet.from_dict(jwks)
    except jwt.PyJWTError as error:
        raise OAuthError(
            "PagerDuty's signing keys could not be read; try again later.",
            "jwks_unavailable",
            transient=True,
        ) from error
    rsa_keys = [key for key in key_set.keys if key.key_type == "RSA"]
    key_id = header.get("kid")
    if key_id is not None:
        matching = [key for key in rsa_keys if key.key_id == key_id]
    else:
        matching = rsa_keys if len(rsa_keys) == 1 else []
    if not matching:
        raise _id_token_error(
            "PagerDuty's identity token was signed with an unknown key; connect again."
        )
    return matching[0].key
