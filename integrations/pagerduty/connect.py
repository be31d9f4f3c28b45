"""Connecting a PagerDuty account (OAuth with PKCE, or a REST API key) and talking to it.

Both ways end in ``integrations.services.connection_store``, which also queues the first sync.
`client_for_connection` is how the rest of the app gets a PagerDuty client: it picks the
region's base URL, the credentials, the shared request budget, and refreshes OAuth tokens
safely when several workers hold the same connection.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections, transaction

from integrations.models import AuthType, Connection, ConnectionStatus, Region
from integrations.pagerduty import oauth
from integrations.pagerduty.auth import ApiKeyAuthorizer, Authorizer, BearerAuthorizer
from integrations.pagerduty.budget import budget_from_settings
from integrations.pagerduty.client import PagerDutyClient
from integrations.pagerduty.errors import PagerDutyError, PagerDutyUnauthorized
from integrations.services import connection_mark_status, connection_store
from tenants.models import Organization

logger = logging.getLogger(__name__)

OAUTH_SESSION_KEY = "pagerduty_oauth"
OAUTH_STATE_LIFETIME_SECONDS = 600


class ConnectError(Exception):
    """Connecting failed; the message says what to do and nothing was saved."""


def api_base_url(region: str) -> str:
    return settings.PAGERDUTY_EU_API_URL if region == Region.EU else settings.PAGERDUTY_API_URL


def _subdomain_from_html_url(html_url: str) -> str:
    """PagerDuty's html_url names the account: https://<subdomain>.pagerduty.com/users/P..."""
    host = urlsplit(html_url or "").hostname or ""
    return host.split(".", 1)[0] if "." in host else ""


# --- REST API key ------------------------------------------------------------------------------


def _account_from_api_key(*, api_key: str, region: str) -> str:
    """Check the key with one real request and learn the account's subdomain from it."""
    client = PagerDutyClient(
        base_url=api_base_url(region), auth=ApiKeyAuthorizer(api_key), max_retries=2
    )
    try:
        body = client.get("/users", {"limit": 1})
    except PagerDutyUnauthorized:
        raise ConnectError(
            f"PagerDuty ({region.upper()} region) refused this API key. Check that you copied "
            "the whole key, that it was not deleted, and that the account is in this region."
        ) from None
    except PagerDutyError as error:
        raise ConnectError(f"PagerDuty could not check the key: {error.message}") from None
    users = body.get("users") or []
    subdomain = _subdomain_from_html_url(users[0].get("html_url", "")) if users else ""
    if not subdomain:
        raise ConnectError(
            "PagerDuty accepted the key but did not say which account it belongs to; "
            "the account must have at least one user."
        )
    return subdomain


def connect_with_api_key(
    *,
    organization: Organization,
    api_key: str,
    region: str,
    purposes: list[str],
    acting_user: Any,
) -> Connection:
    """Check the key with one request, store the connection and queue its first sync."""
    api_key = api_key.strip()
    subdomain = _account_from_api_key(api_key=api_key, region=region)
    return connection_store(
        organization=organization,
        provider="pagerduty",
        region=region,
        subdomain=subdomain,
        purposes=purposes,
        acting_user=acting_user,
        credentials={
            "auth_type": AuthType.API_KEY,
            "api_key": api_key,
            "access_token": "",
            "refresh_token": "",
            "access_token_expires_at": None,
            "granted_scopes": [],
        },
        status=ConnectionStatus.CONNECTED,
    )


# --- OAuth ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OAuthStart:
    authorize_url: str
    state: str


def oauth_start(
    *, session: Any, organization: Organization, user: Any, purposes: list[str], redirect_uri: str
) -> OAuthStart:
    """Begin the authorization-code flow: PKCE pair and `state` kept in the user's session.

    The state is bound to this session, user and organisation, expires after ten minutes and is
    used once (see `oauth_complete`).
    """
    if not settings.PAGERDUTY_CLIENT_ID or not settings.PAGERDUTY_CLIENT_SECRET:
        raise ConnectError(
            "OAuth is not configured on this server (PAGERDUTY_CLIENT_ID and "
            "PAGERDUTY_CLIENT_SECRET). Connect with a read-only API key instead."
        )
    verifier, challenge = oauth.generate_pkce_pair()
    state = oauth.generate_state()
    pending = {
        key: value
        for key, value in session.get(OAUTH_SESSION_KEY, {}).items()
        if value["started_at"] > time.time() - OAUTH_STATE_LIFETIME_SECONDS
    }
    pending[state] = {
        "organization_id": organization.pk,
        "user_id": user.pk,
        "code_verifier": verifier,
        "purposes": purposes,
        "redirect_uri": redirect_uri,
        "started_at": time.time(),
    }
    session[OAUTH_SESSION_KEY] = pending
    url = oauth.build_authorize_url(
        identity_url=settings.PAGERDUTY_IDENTITY_URL,
        client_id=settings.PAGERDUTY_CLIENT_ID,
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=challenge,
    )
    return OAuthStart(authorize_url=url, state=state)


@dataclass(frozen=True)
class PendingAuthorization:
    organization_id: int
    purposes: list[str]


def oauth_pending(*, session: Any, state: str, user: Any) -> tuple[PendingAuthorization, dict]:
    """Take (single use) the pending authorization for `state`; ConnectError when it is not ours."""
    pending = session.get(OAUTH_SESSION_KEY, {})
    entry = pending.pop(state, None) if state else None
    session[OAUTH_SESSION_KEY] = pending
    if entry is None or entry["user_id"] != user.pk:
        raise ConnectError(
            "This PagerDuty authorization was not started from this browser session (or was "
            "already used). Start the connection again."
        )
    if entry["started_at"] < time.time() - OAUTH_STATE_LIFETIME_SECONDS:
        raise ConnectError("The PagerDuty authorization took too long. Start the connection again.")
    return PendingAuthorization(entry["organization_id"], entry["purposes"]), entry


def _region_from_identity(claims: oauth.IdentityClaims) -> str:
    """The id_token's `aud` holds the REST host of the account's region."""
    if any(".eu." in host for host in claims.rest_hosts):
        return Region.EU
    if claims.region.strip().lower() in {"eu", "europe", "europeanunion", "european union"}:
        return Region.EU
    return Region.US


def oauth_complete(
    *, organization: Organization, entry: dict, code: str, acting_user: Any
) -> Connection:
    """Exchange the code (with the PKCE verifier), verify the id_token, store the connection
    and queue its first sync. Nothing is saved unless every step succeeds.
    """
    try:
        tokens = oauth.exchange_code(
            identity_url=settings.PAGERDUTY_IDENTITY_URL,
            client_id=settings.PAGERDUTY_CLIENT_ID,
            client_secret=settings.PAGERDUTY_CLIENT_SECRET,
            code=code,
            redirect_uri=entry["redirect_uri"],
            code_verifier=entry["code_verifier"],
        )
        if not tokens.id_token:
            raise ConnectError("PagerDuty did not say which account was authorized; try again.")
        claims = oauth.verify_id_token(
            id_token=tokens.id_token,
            jwks_url=settings.PAGERDUTY_JWKS_URL,
            client_id=settings.PAGERDUTY_CLIENT_ID,
        )
    except oauth.OAuthError as error:
        raise ConnectError(error.message) from None
    region = _region_from_identity(claims)
    missing = oauth.missing_scopes(tokens.granted_scopes)
    return connection_store(
        organization=organization,
        provider="pagerduty",
        region=region,
        subdomain=claims.subdomain,
        purposes=entry["purposes"],
        acting_user=acting_user,
        credentials={
            "auth_type": AuthType.OAUTH,
            "account_id": claims.account_id,
            "remote_user_id": claims.user_id,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token or "",
            "access_token_expires_at": tokens.expires_at,
            "api_key": "",
            "granted_scopes": sorted(tokens.granted_scopes),
        },
        status=ConnectionStatus.MISSING_SCOPES if missing else ConnectionStatus.CONNECTED,
        error_message=f"PagerDuty did not grant: {', '.join(missing)}." if missing else "",
    )


# --- Using a connection ------------------------------------------------------------------------


def connection_refresh_access_token(
    *, connection: Connection, stale_access_token: str
) -> str | None:
    """Refresh the OAuth access token once for all workers; returns the token to use, or None.

    PagerDuty rotates the refresh token on every refresh, so two workers refreshing at once would
    lock each other out. The row lock makes the second worker wait, then see the first worker's
    new token and use it instead of refreshing again. A refused refresh marks the connection
    "needs re-authorization"; its synced data is kept.
    """
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        if locked.status == ConnectionStatus.REVOKED or not locked.refresh_token:
            return None
        if locked.access_token != stale_access_token and not locked.access_token_expires_soon():
            connection.access_token = locked.access_token
            return locked.access_token
        try:
            tokens = oauth.refresh_access_token(
                identity_url=settings.PAGERDUTY_IDENTITY_URL,
                client_id=settings.PAGERDUTY_CLIENT_ID,
                client_secret=settings.PAGERDUTY_CLIENT_SECRET,
                refresh_token=locked.refresh_token,
            )
        except oauth.OAuthError as error:
            if error.transient:
                logger.warning(
                    "PagerDuty token refresh failed for connection %s: %s", locked.pk, error
                )
                return None
            connection_mark_status(
                connection=locked,
                status=ConnectionStatus.NEEDS_REAUTHORIZATION,
                error_message=error.message,
            )
            return None
        locked.access_token = tokens.access_token
        locked.refresh_token = tokens.refresh_token or locked.refresh_token
        locked.access_token_expires_at = tokens.expires_at
        if tokens.granted_scopes:
            locked.granted_scopes = sorted(tokens.granted_scopes)
        locked.save(
            update_fields=[
                "access_token",
                "refresh_token",
                "access_token_expires_at",
                "granted_scopes",
                "updated_at",
            ]
        )
    connection.access_token = tokens.access_token
    connection.access_token_expires_at = tokens.expires_at
    return tokens.access_token


def client_for_connection(connection: Connection, **client_options: Any) -> PagerDutyClient:
    """A PagerDuty client for the connection, sharing the account's request budget."""
    if connection.status == ConnectionStatus.REVOKED:
        raise ConnectError("This connection was revoked.")
    if connection.auth_type == AuthType.API_KEY:
        auth: Authorizer = ApiKeyAuthorizer(connection.api_key)
    else:
        access_token = connection.access_token
        if connection.access_token_expires_soon():
            access_token = (
                connection_refresh_access_token(
                    connection=connection, stale_access_token=access_token
                )
                or access_token
            )
        holder = {"token": access_token}

        def refresh() -> str | None:
            new_token = connection_refresh_access_token(
                connection=connection, stale_access_token=holder["token"]
            )
            if new_token:
                holder["token"] = new_token
            return new_token

        auth = BearerAuthorizer(access_token, refresh_callback=refresh)
    client_options.setdefault("budget", budget_from_settings())
    # Several requests in flight; worker threads close their own database connections (the
    # budget and an OAuth refresh may open one) when they stop.
    client_options.setdefault("max_in_flight", int(settings.PAGERDUTY_MAX_IN_FLIGHT))
    client_options.setdefault("on_thread_exit", connections.close_all)
    return PagerDutyClient(
        base_url=api_base_url(connection.region),
        auth=auth,
        budget_key=connection.budget_key,
        **client_options,
    )
