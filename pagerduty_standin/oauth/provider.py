"""PagerDuty Scoped OAuth, as the stand-in server plays it.

Authorization code grant with PKCE (S256, always required for Scoped OAuth) and the client secret,
refresh tokens that rotate on every use, client credentials for app tokens, and an OpenID
`id_token` signed with RS256 whose key is published as a JWKS. Behaviour follows PagerDuty's
developer docs: codes live 30 seconds, access tokens a day, refresh tokens 30 days inside a
one-year rolling window, unknown scopes are silently dropped (only `openid` is always granted),
and a refresh response carries no new `id_token`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from pagerduty_standin.oauth.scopes import KNOWN_SCOPES

# What PagerDuty puts in the id_token `region` claim for each service region.
REGION_CLAIMS = {"us": "UnitedStates", "eu": "Europe"}
DENIED_DESCRIPTION = "The resource owner or authorization server denied the request."
ID_TOKEN_LIFETIME_SECONDS = 3600
ROLLING_WINDOW_SECONDS = 365 * 86_400


class OAuthError(Exception):
    """An OAuth 2 error answered as `{"error": ..., "error_description": ...}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class AuthorizePageError(Exception):
    """A problem PagerDuty shows on its own page instead of redirecting (bad client or URI)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class AccessGrant:
    """What an access token stands for: a user (or the app itself) and its granted scopes."""

    token: str
    client_id: str
    user_id: str | None
    scopes: frozenset[str]
    expires_at: float
    delegation_id: str


@dataclass
class _RefreshGrant:
    client_id: str
    user_id: str
    scopes: frozenset[str]
    expires_at: float
    delegation_id: str
    delegation_started_at: float


@dataclass
class _AuthorizationCode:
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    code_challenge: str
    user_id: str
    expires_at: float
    used: bool = False


@dataclass
class AuthorizationRequest:
    """A validated `/oauth/authorize` request, ready to show the consent page for."""

    client_id: str
    redirect_uri: str
    requested_scopes: tuple[str, ...]
    granted_scopes: frozenset[str]
    state: str | None
    code_challenge: str


@dataclass
class OAuthSettings:
    """The parts of the stand-in options the OAuth provider reads on every call."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...] = ()
    app_scopes: frozenset[str] | None = None
    withhold_scopes: frozenset[str] = frozenset()
    invalid_scope_grants_only_openid: bool = False
    access_token_ttl_seconds: int = 86_400
    refresh_token_ttl_seconds: int = 30 * 86_400
    authorization_code_ttl_seconds: int = 30
    subdomain: str = "demo"
    region: str = "us"
    account_id: str = "PSTANDN"
    audience_url: str | None = None


@dataclass
class OAuthProvider:
    """Issues and checks tokens. Thread-safe; all state lives in memory and dies with it."""

    settings: OAuthSettings
    base_url: str = ""
    clock: Callable[[], float] = time.time
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_numbers = self.signing_key.public_key().public_numbers()
        self.key_id = hashlib.sha256(
            public_numbers.n.to_bytes((public_numbers.n.bit_length() + 7) // 8, "big")
        ).hexdigest()[:16]
        self._codes: dict[str, _AuthorizationCode] = {}
        self._access: dict[str, AccessGrant] = {}
        self._refresh: dict[str, _RefreshGrant] = {}

    # -- identity documents ------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/global/oauth/anonymous"

    def jwks(self) -> dict[str, Any]:
        """The public signing key, as `GET /global/oauth/anonymous/jwks` returns it."""
        numbers = self.signing_key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.key_id,
                    "n": _base64url_integer(numbers.n),
                    "e": _base64url_integer(numbers.e),
                }
            ]
        }

    def openid_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base_url}/oauth/authorize",
            "token_endpoint": f"{self.base_url}/oauth/token",
            "jwks_uri": f"{self.base_url}/global/oauth/anonymous/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": sorted(KNOWN_SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    # -- authorization -----------------------------------------------------------------------

    def grantable_scopes(self, requested: Iterable[str]) -> frozenset[str]:
        """Requested scopes the app may get; unknown ones are dropped, `openid` always added.

        PagerDuty's docs say an invalid scope is not an error but leaves "only the `openid`
        scope"; whether that drops just the bad scope or every scope is not spelled out, so
        `invalid_scope_grants_only_openid` switches to the stricter reading.
        """
        allowed = self.settings.app_scopes or KNOWN_SCOPES
        requested = [scope for scope in requested if not scope.startswith("as_account-")]
        granted = {scope for scope in requested if scope in KNOWN_SCOPES and scope in allowed}
        if self.settings.invalid_scope_grants_only_openid and len(granted) < len(set(requested)):
            return frozenset({"openid"})
        granted -= self.settings.withhold_scopes
        granted.add("openid")
        return frozenset(granted)

    def validate_authorize(self, params: dict[str, str]) -> AuthorizationRequest:
        """Check an authorize request; errors about the client or URI never redirect."""
        client_id = params.get("client_id", "")
        if client_id != self.settings.client_id:
            raise AuthorizePageError("Unknown OAuth client: check the client_id of your app.")
        redirect_uri = params.get("redirect_uri", "")
        parts = urlsplit(redirect_uri)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise AuthorizePageError("The redirect_uri is missing or not an absolute URL.")
        if self.settings.redirect_uris and redirect_uri not in self.settings.redirect_uris:
            raise AuthorizePageError("The redirect_uri is not registered for this app.")
        state = params.get("state")
        if params.get("response_type") != "code":
            raise AuthorizeRedirect(
                redirect_uri,
                state,
                "unsupported_response_type",
                "Only response_type=code is supported.",
            )
        code_challenge = params.get("code_challenge", "")
        if not code_challenge or params.get("code_challenge_method") != "S256":
            raise AuthorizeRedirect(
                redirect_uri,
                state,
                "invalid_request",
                "Scoped OAuth requires PKCE: send code_challenge with code_challenge_method=S256.",
            )
        requested = tuple(params.get("scope", "").split())
        return AuthorizationRequest(
            client_id=client_id,
            redirect_uri=redirect_uri,
            requested_scopes=requested,
            granted_scopes=self.grantable_scopes(requested),
            state=state,
            code_challenge=code_challenge,
        )

    def approve(self, request: AuthorizationRequest, user_id: str) -> str:
        """Record consent and return the redirect URL carrying a fresh code."""
        code = secrets.token_urlsafe(24)
        with self.lock:
            self._codes[code] = _AuthorizationCode(
                client_id=request.client_id,
                redirect_uri=request.redirect_uri,
                scopes=request.granted_scopes,
                code_challenge=request.code_challenge,
                user_id=user_id,
                expires_at=self.clock() + self.settings.authorization_code_ttl_seconds,
            )
        return add_query(request.redirect_uri, {"code": code, "state": request.state})

    def deny(self, request: AuthorizationRequest) -> str:
        return add_query(
            request.redirect_uri,
            {
                "error": "access_denied",
                "error_description": DENIED_DESCRIPTION,
                "state": request.state,
            },
        )

    # -- token endpoint ----------------------------------------------------------------------

    def token(
        self, form: dict[str, str], basic_credentials: tuple[str, str] | None
    ) -> dict[str, Any]:
        """`POST /oauth/token`: returns the token response or raises `OAuthError`."""
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        if basic_credentials is not None:
            client_id, client_secret = basic_credentials
        if client_id != self.settings.client_id or not secrets.compare_digest(
            client_secret, self.settings.client_secret
        ):
            raise OAuthError("invalid_client", "Client authentication failed.", status=401)
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._exchange_code(form, client_id)
        if grant_type == "refresh_token":
            return self._refresh_tokens(form, client_id)
        if grant_type == "client_credentials":
            return self._client_credentials(form, client_id)
        raise OAuthError("unsupported_grant_type", f"Unsupported grant_type {grant_type!r}.")

    def _exchange_code(self, form: dict[str, str], client_id: str) -> dict[str, Any]:
        now = self.clock()
        with self.lock:
            record = self._codes.get(form.get("code", ""))
            if record is None or record.used or record.expires_at < now:
                raise OAuthError(
                    "invalid_grant", "The authorization code is invalid, expired or already used."
                )
            record.used = True
            if record.client_id != client_id:
                raise OAuthError("invalid_grant", "The code was issued to another client.")
            if form.get("redirect_uri", "") != record.redirect_uri:
                raise OAuthError(
                    "invalid_grant", "redirect_uri does not match the authorization request."
                )
            verifier = form.get("code_verifier", "")
            if not verifier or pkce_challenge(verifier) != record.code_challenge:
                raise OAuthError(
                    "invalid_grant", "PKCE verification failed: code_verifier does not match."
                )
            delegation_id = str(uuid.uuid4())
            access = self._issue_access(client_id, record.user_id, record.scopes, delegation_id)
            refresh_token = self._issue_refresh(
                client_id, record.user_id, record.scopes, delegation_id, delegation_started_at=now
            )
        return {
            "id_token": self._id_token(client_id, record.user_id, access.token, delegation_id),
            "token_type": "bearer",
            "access_token": access.token,
            "refresh_token": refresh_token,
            "scope": " ".join(sorted(record.scopes)),
            "expires_in": self.settings.access_token_ttl_seconds,
        }

    def _refresh_tokens(self, form: dict[str, str], client_id: str) -> dict[str, Any]:
        now = self.clock()
        with self.lock:
            presented = form.get("refresh_token", "")
            record = self._refresh.pop(presented, None)
            if record is None or record.client_id != client_id or record.expires_at < now:
                raise OAuthError(
                    "invalid_grant", "The refresh token is invalid, expired or already used."
                )
            if now - record.delegation_started_at > ROLLING_WINDOW_SECONDS:
                raise OAuthError(
                    "invalid_grant",
                    "The authorization is older than one year; the user must authorize again.",
                )
            access = self._issue_access(
                client_id, record.user_id, record.scopes, record.delegation_id
            )
            refresh_token = self._issue_refresh(
                client_id,
                record.user_id,
                record.scopes,
                record.delegation_id,
                delegation_started_at=record.delegation_started_at,
            )
        return {
            "token_type": "bearer",
            "access_token": access.token,
            "refresh_token": refresh_token,
            "scope": " ".join(sorted(record.scopes)),
            "expires_in": self.settings.access_token_ttl_seconds,
        }

    def _client_credentials(self, form: dict[str, str], client_id: str) -> dict[str, Any]:
        requested = form.get("scope", "").split()
        account_scope = f"as_account-{self.settings.region}.{self.settings.subdomain}"
        if account_scope not in requested:
            raise OAuthError(
                "invalid_scope",
                f"The scope must contain {account_scope} to name the account the token is for.",
            )
        scopes = self.grantable_scopes(requested) - {"openid"}
        with self.lock:
            access = self._issue_access(client_id, None, scopes, str(uuid.uuid4()))
        return {
            "access_token": access.token,
            "scope": " ".join([account_scope, *sorted(scopes)]),
            "token_type": "bearer",
            "expires_in": self.settings.access_token_ttl_seconds,
        }

    def _issue_access(
        self, client_id: str, user_id: str | None, scopes: frozenset[str], delegation_id: str
    ) -> AccessGrant:
        token = f"pdus+_0{self.settings.account_id[1:]}_{uuid.uuid4()}"
        grant = AccessGrant(
            token=token,
            client_id=client_id,
            user_id=user_id,
            scopes=scopes,
            expires_at=self.clock() + self.settings.access_token_ttl_seconds,
            delegation_id=delegation_id,
        )
        self._access[token] = grant
        return grant

    def _issue_refresh(
        self,
        client_id: str,
        user_id: str,
        scopes: frozenset[str],
        delegation_id: str,
        *,
        delegation_started_at: float,
    ) -> str:
        token = f"pdus+_1{self.settings.account_id[1:]}_{uuid.uuid4()}"
        self._refresh[token] = _RefreshGrant(
            client_id=client_id,
            user_id=user_id,
            scopes=scopes,
            expires_at=self.clock() + self.settings.refresh_token_ttl_seconds,
            delegation_id=delegation_id,
            delegation_started_at=delegation_started_at,
        )
        return token

    def _id_token(self, client_id: str, user_id: str, access_token: str, delegation_id: str) -> str:
        issued_at = int(self.clock())
        access_digest = hashlib.sha256(access_token.encode()).digest()
        claims = {
            "exp": issued_at + ID_TOKEN_LIFETIME_SECONDS,
            "nbf": issued_at,
            "iat": issued_at,
            "auth_time": issued_at,
            "jti": str(uuid.uuid4()),
            "iss": self.issuer,
            "aud": [self.settings.audience_url or self.base_url, client_id],
            "sub": user_id,
            "purpose": "id",
            "at_hash": base64.urlsafe_b64encode(access_digest[:16]).rstrip(b"=").decode(),
            "acr": "acr:html-form:unitedstates",
            "amr": "acr:html-form:unitedstates",
            "delegation_id": delegation_id,
            "account_id": self.settings.account_id,
            "user_id": user_id,
            "azp": client_id,
            "subdomain": self.settings.subdomain,
            "region": REGION_CLAIMS.get(self.settings.region, self.settings.region),
            "sid": secrets.token_urlsafe(12),
        }
        return jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": self.key_id})

    # -- checking and revoking ---------------------------------------------------------------

    def authenticate(self, access_token: str) -> AccessGrant | None:
        """The grant behind a bearer token, or None when unknown, expired or revoked."""
        with self.lock:
            grant = self._access.get(access_token)
            if grant is None:
                return None
            if grant.expires_at <= self.clock():
                del self._access[access_token]
                return None
            return grant

    def revoke_all(self) -> int:
        """PagerDuty's "Revoke All Tokens" for the app: every access and refresh token dies."""
        with self.lock:
            revoked = len(self._access) + len(self._refresh)
            self._access.clear()
            self._refresh.clear()
            self._codes.clear()
            return revoked

    def token_counts(self) -> dict[str, int]:
        with self.lock:
            return {"access_tokens": len(self._access), "refresh_tokens": len(self._refresh)}


class AuthorizeRedirect(Exception):
    """An authorize error that goes back to the app as `?error=...` on its redirect URI."""

    def __init__(self, redirect_uri: str, state: str | None, error: str, description: str) -> None:
        super().__init__(description)
        self.location = add_query(
            redirect_uri, {"error": error, "error_description": description, "state": state}
        )


def pkce_challenge(code_verifier: str) -> str:
    """The S256 code challenge of a verifier: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def add_query(url: str, params: dict[str, str | None]) -> str:
    """Append parameters to a URL that may already have a query string."""
    parts = urlsplit(url)
    extra = urlencode({key: value for key, value in params.items() if value is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _base64url_integer(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
