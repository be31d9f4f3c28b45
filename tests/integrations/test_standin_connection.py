"""Connecting to the local PagerDuty stand-in over real HTTP: API key, OAuth + PKCE, refresh, revoke."""

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.urls import reverse

from integrations.models import AuthType, Connection, ConnectionStatus, RemoteIncident
from integrations.pagerduty import oauth
from integrations.pagerduty.connect import OAUTH_SESSION_KEY, client_for_connection
from pagerduty_standin import DEFAULT_API_KEY
from tests.factories import RemoteIncidentFactory

pytestmark = [pytest.mark.standin, pytest.mark.django_db]


def approve_on_standin(server, authorize_url: str, decision: str = "approve") -> str:
    """Press a button on the stand-in's consent page; returns where PagerDuty sends the browser."""
    params = dict(parse_qsl(urlsplit(authorize_url).query))
    response = requests.post(
        f"{server.url}/oauth/authorize",
        data={**params, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code in (302, 303), response.text
    return response.headers["Location"]


def start_oauth(client, organization, purposes=("incident_management",), **extra) -> str:
    response = client.post(
        reverse("integrations:oauth_start", args=[organization.slug]),
        {"purposes": list(purposes), **extra},
    )
    assert response.status_code == 302, response.content
    return response["Location"]


def follow_callback(client, location: str):
    parts = urlsplit(location)
    return client.get(parts.path, dict(parse_qsl(parts.query)))


def test_connect_with_api_key_against_the_standin(admin_client, organization, standin):
    response = admin_client.post(
        reverse("integrations:api_key_connect", args=[organization.slug]),
        {"api_key": DEFAULT_API_KEY, "region": "us", "purposes": ["incident_management"]},
    )
    assert response.status_code == 302
    connection = Connection.objects.get(organization=organization)
    assert connection.subdomain == "acme"
    users = client_for_connection(connection).get("/users", {"limit": 5})["users"]
    assert len(users) == 5


def test_connect_with_oauth_and_pkce(admin_client, organization, standin):
    authorize_url = start_oauth(admin_client, organization)
    assert authorize_url.startswith(f"{standin.url}/oauth/authorize?")
    callback = approve_on_standin(standin, authorize_url)
    response = follow_callback(admin_client, callback)
    assert response["Location"].endswith("?tab=connected")

    connection = Connection.objects.get(organization=organization)
    assert connection.auth_type == AuthType.OAUTH
    assert connection.subdomain == "acme" and connection.account_id
    assert connection.status == ConnectionStatus.CONNECTED
    assert set(oauth.REQUESTED_SCOPES) <= set(connection.granted_scopes)
    assert connection.refresh_token and connection.access_token
    assert client_for_connection(connection).get("/users", {"limit": 1})["users"]


def test_withheld_scopes_are_recorded_and_shown(admin_client, organization, standin):
    standin.update_options(withhold_scopes=("analytics.write",))
    follow_callback(
        admin_client, approve_on_standin(standin, start_oauth(admin_client, organization))
    )
    connection = Connection.objects.get(organization=organization)
    assert connection.status == ConnectionStatus.MISSING_SCOPES
    assert "analytics.write" not in connection.granted_scopes
    page = admin_client.get(
        reverse("integrations:connection_detail", args=[organization.slug, connection.pk])
    ).content.decode()
    assert "Missing:" in page and "analytics.write" in page


def test_a_wrong_pkce_verifier_is_refused_and_nothing_is_saved(admin_client, organization, standin):
    authorize_url = start_oauth(admin_client, organization)
    session = admin_client.session
    pending = session[OAUTH_SESSION_KEY]
    for entry in pending.values():
        entry["code_verifier"] = "x" * 64
    session[OAUTH_SESSION_KEY] = pending
    session.save()
    response = follow_callback(admin_client, approve_on_standin(standin, authorize_url))
    assert response["Location"] == reverse("integrations:provider_detail", args=[organization.slug])
    assert not Connection.objects.exists()


def test_the_standin_refuses_a_code_exchanged_with_the_wrong_verifier(standin):
    verifier, challenge = oauth.generate_pkce_pair()
    authorize_url = oauth.build_authorize_url(
        identity_url=standin.url,
        client_id=standin.options.oauth_client_id,
        redirect_uri="http://127.0.0.1/callback",
        state="s",
        code_challenge=challenge,
    )
    code = dict(parse_qsl(urlsplit(approve_on_standin(standin, authorize_url)).query))["code"]
    with pytest.raises(oauth.OAuthError) as refused:
        oauth.exchange_code(
            identity_url=standin.url,
            client_id=standin.options.oauth_client_id,
            client_secret=standin.options.oauth_client_secret,
            code=code,
            redirect_uri="http://127.0.0.1/callback",
            code_verifier=oauth.generate_pkce_pair()[0],
        )
    assert refused.value.error_code == "invalid_grant"


def test_denied_consent_saves_nothing(admin_client, organization, standin):
    authorize_url = start_oauth(admin_client, organization)
    response = follow_callback(admin_client, approve_on_standin(standin, authorize_url, "deny"))
    assert response["Location"] == reverse("integrations:provider_detail", args=[organization.slug])
    assert not Connection.objects.exists()


def test_expired_access_token_is_refreshed_and_the_refresh_token_rotated(
    admin_client, organization, standin
):
    standin.update_options(access_token_ttl_seconds=1)
    follow_callback(
        admin_client, approve_on_standin(standin, start_oauth(admin_client, organization))
    )
    connection = Connection.objects.get(organization=organization)
    first_access, first_refresh = connection.access_token, connection.refresh_token
    standin.update_options(access_token_ttl_seconds=3600)
    time.sleep(1.5)

    client = client_for_connection(connection)
    assert client.get("/users", {"limit": 1})["users"]
    connection.refresh_from_db()
    assert connection.access_token != first_access
    assert connection.refresh_token != first_refresh
    assert connection.status == ConnectionStatus.CONNECTED
    # The old refresh token no longer works: PagerDuty rotates it on every refresh.
    with pytest.raises(oauth.OAuthError):
        oauth.refresh_access_token(
            identity_url=standin.url,
            client_id=standin.options.oauth_client_id,
            client_secret=standin.options.oauth_client_secret,
            refresh_token=first_refresh,
        )


def test_revoked_tokens_mark_the_connection_for_reauthorization(
    admin_client, organization, standin
):
    from integrations.pagerduty.errors import PagerDutyUnauthorized

    follow_callback(
        admin_client, approve_on_standin(standin, start_oauth(admin_client, organization))
    )
    connection = Connection.objects.get(organization=organization)
    requests.post(f"{standin.url}/_control/revoke_all_tokens", timeout=5)
    with pytest.raises(PagerDutyUnauthorized):
        client_for_connection(connection).get("/users", {"limit": 1})
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_REAUTHORIZATION
    assert "reconnect" in connection.last_error.lower()


@pytest.mark.parametrize("purge", [False, True])
def test_revoke_then_connect_again(owner_client, organization, standin, purge):
    owner_client.post(
        reverse("integrations:api_key_connect", args=[organization.slug]),
        {"api_key": DEFAULT_API_KEY, "region": "us", "purposes": ["incident_management"]},
    )
    connection = Connection.objects.get(organization=organization)
    RemoteIncidentFactory.create_batch(3, connection=connection)
    owner_client.post(
        reverse("integrations:connection_revoke", args=[organization.slug, connection.pk]),
        {"data": "purge" if purge else "keep", "confirm": "on"},
    )
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.REVOKED and not connection.api_key
    assert RemoteIncident.objects.filter(connection=connection).count() == (0 if purge else 3)

    owner_client.post(
        reverse("integrations:api_key_connect", args=[organization.slug]),
        {"api_key": DEFAULT_API_KEY, "region": "us", "purposes": ["incident_management"]},
    )
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED and connection.revoked_at is None
    assert Connection.objects.filter(organization=organization).count() == 1


@pytest.mark.django_db(transaction=True)
def test_purged_then_reconnected_account_is_synced_from_scratch(organization, owner, standin):
    from integrations.models import RemoteIncidentStatusChange
    from integrations.pagerduty.connect import connect_with_api_key
    from integrations.pagerduty.sync.run import sync_connection
    from integrations.services import connection_revoke

    def connect() -> Connection:
        return connect_with_api_key(
            organization=organization,
            api_key=DEFAULT_API_KEY,
            region="us",
            purposes=["incident_management"],
            acting_user=owner,
        )

    connection = connect()
    sync_connection(connection=connection, trigger="command")
    incidents = RemoteIncident.objects.filter(connection=connection).count()
    history = RemoteIncidentStatusChange.objects.filter(connection=connection).count()
    assert incidents and history

    connection_revoke(connection=connection, acting_user=owner, purge=True)
    connection = connect()
    run = sync_connection(connection=connection, trigger="schedule")

    assert run.full
    assert RemoteIncident.objects.filter(connection=connection).count() == incidents
    assert RemoteIncidentStatusChange.objects.filter(connection=connection).count() == history
