"""Connecting PagerDuty by API key, OAuth state handling, revoking, and credentials at rest."""

import pytest
import responses
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db_connection
from django.urls import reverse

from integrations.models import AuthType, Connection, ConnectionStatus, RemoteIncident
from integrations.pagerduty.connect import OAUTH_SESSION_KEY
from tenants.models import AuditEvent
from tests.factories import ConnectionFactory, RemoteIncidentFactory

API = "https://api.pagerduty.com"


def users_page(subdomain: str = "acme") -> dict:
    return {
        "users": [
            {
                "id": "PUSER01",
                "email": "ada@acme.example",
                "html_url": f"https://{subdomain}.pagerduty.com/users/PUSER01",
            }
        ],
        "limit": 1,
        "offset": 0,
        "more": True,
        "total": None,
    }


@pytest.fixture
def mocked_pagerduty():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.django_db
def test_api_key_is_checked_then_stored_encrypted(admin_client, organization, mocked_pagerduty):
    mocked_pagerduty.get(f"{API}/users", json=users_page())
    response = admin_client.post(
        reverse("integrations:api_key_connect", args=[organization.slug]),
        {"api_key": "u+abcdefghijklmnop", "region": "us", "purposes": ["incident_management"]},
    )
    assert response.status_code == 302
    connection = Connection.objects.get(organization=organization)
    assert (connection.subdomain, connection.auth_type, connection.status) == (
        "acme",
        AuthType.API_KEY,
        ConnectionStatus.CONNECTED,
    )
    assert connection.api_key == "u+abcdefghijklmnop"
    sent = mocked_pagerduty.calls[0].request
    assert sent.headers["Authorization"] == "Token token=u+abcdefghijklmnop"
    assert sent.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM integrations_connection WHERE id = %s", [connection.pk])
        stored = cursor.fetchone()[0]
    assert "abcdefghijklmnop" not in stored and stored.startswith("gAAAA")
    assert AuditEvent.objects.filter(action="connection.connect").exists()


@pytest.mark.django_db
def test_refused_api_key_is_an_error_beside_the_field_and_saves_nothing(
    admin_client, organization, mocked_pagerduty
):
    mocked_pagerduty.get(
        f"{API}/users", status=401, json={"error": {"message": "Unauthorized", "code": 2006}}
    )
    response = admin_client.post(
        reverse("integrations:api_key_connect", args=[organization.slug]),
        {"api_key": "u+wrongwrongwrong", "region": "us", "purposes": ["incident_management"]},
    )
    assert response.status_code == 400
    assert "refused this API key" in response.content.decode()
    assert "u+wrongwrongwrong" not in response.content.decode()
    assert not Connection.objects.exists()


@pytest.mark.django_db
def test_access_management_needs_the_acknowledgement(admin_client, organization, mocked_pagerduty):
    mocked_pagerduty.get(f"{API}/users", json=users_page())
    response = admin_client.post(
        reverse("integrations:api_key_connect", args=[organization.slug]),
        {"api_key": "u+abcdefghijklmnop", "region": "us", "purposes": ["access_management"]},
    )
    assert response.status_code == 400
    assert "Tick this box" in response.content.decode()
    assert not Connection.objects.exists()


@pytest.mark.django_db
def test_members_cannot_connect(member_client, organization):
    response = member_client.post(
        reverse("integrations:api_key_connect", args=[organization.slug]),
        {"api_key": "u+abcdefghijklmnop", "region": "us", "purposes": ["incident_management"]},
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_secrets_are_never_rendered(owner_client, organization):
    connection = ConnectionFactory(organization=organization, api_key="u+supersecretvalue")
    page = owner_client.get(
        reverse("integrations:connection_detail", args=[organization.slug, connection.pk])
    ).content.decode()
    assert "supersecretvalue" not in page
    assert connection.subdomain in page


@pytest.mark.django_db
def test_oauth_callback_with_unknown_state_saves_nothing(admin_client, organization):
    response = admin_client.get(
        reverse("pagerduty_oauth_callback"), {"code": "x", "state": "forged"}
    )
    assert response.status_code == 302
    assert not Connection.objects.exists()
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("not started from this browser session" in message for message in messages)


@pytest.mark.django_db
def test_oauth_start_binds_state_to_session_user_and_org(admin_client, organization, settings):
    settings.PAGERDUTY_CLIENT_ID = "client-1"
    settings.PAGERDUTY_CLIENT_SECRET = "secret-1"
    response = admin_client.post(
        reverse("integrations:oauth_start", args=[organization.slug]),
        {"purposes": ["incident_management"]},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("https://identity.pagerduty.com/oauth/authorize?")
    assert "code_challenge_method=S256" in location
    ((state, entry),) = admin_client.session[OAUTH_SESSION_KEY].items()
    assert f"state={state}" in location
    assert entry["organization_id"] == organization.pk
    assert entry["code_verifier"] not in location


@pytest.mark.django_db
def test_denied_consent_returns_with_a_clear_message(admin_client, organization, settings):
    settings.PAGERDUTY_CLIENT_ID = "client-1"
    settings.PAGERDUTY_CLIENT_SECRET = "secret-1"
    admin_client.post(
        reverse("integrations:oauth_start", args=[organization.slug]),
        {"purposes": ["incident_management"]},
    )
    state = next(iter(admin_client.session[OAUTH_SESSION_KEY]))
    response = admin_client.get(
        reverse("pagerduty_oauth_callback"), {"error": "access_denied", "state": state}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(
        "integrations:provider_detail", args=[organization.slug]
    )
    assert not Connection.objects.exists()
    # The state was single use.
    again = admin_client.get(reverse("pagerduty_oauth_callback"), {"code": "c", "state": state})
    assert again["Location"] == reverse("home")


@pytest.mark.django_db
@pytest.mark.parametrize("purge", [False, True])
def test_owner_revokes_keeping_or_purging_data(owner_client, organization, purge):
    connection = ConnectionFactory(organization=organization, api_key="u+secretsecret")
    RemoteIncidentFactory(connection=connection)
    response = owner_client.post(
        reverse("integrations:connection_revoke", args=[organization.slug, connection.pk]),
        {"data": "purge" if purge else "keep", "confirm": "on"},
        follow=True,
    )
    assert "Revoke All Tokens" in response.content.decode()
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.REVOKED
    assert connection.api_key == "" and connection.revoked_at is not None
    assert RemoteIncident.objects.filter(connection=connection).exists() is not purge
    event = AuditEvent.objects.get(action="connection.revoke")
    assert event.details["purged"] is purge


@pytest.mark.django_db
def test_revoke_needs_confirmation(owner_client, organization):
    connection = ConnectionFactory(organization=organization)
    response = owner_client.post(
        reverse("integrations:connection_revoke", args=[organization.slug, connection.pk]),
        {"data": "keep"},
    )
    assert response.status_code == 400
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED


@pytest.mark.django_db
def test_admins_cannot_revoke(admin_client, organization):
    connection = ConnectionFactory(organization=organization)
    url = reverse("integrations:connection_revoke", args=[organization.slug, connection.pk])
    assert admin_client.post(url, {"data": "keep", "confirm": "on"}).status_code == 403
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED


@pytest.mark.django_db
def test_another_org_can_neither_see_nor_revoke_the_connection(client, organization):
    from tests.factories import MembershipFactory

    connection = ConnectionFactory(organization=organization)
    outsider = MembershipFactory(role="owner").user
    client.force_login(outsider)
    own_slug = outsider.memberships.get().organization.slug
    for slug in (organization.slug, own_slug):
        detail = reverse("integrations:connection_detail", args=[slug, connection.pk])
        revoke = reverse("integrations:connection_revoke", args=[slug, connection.pk])
        assert client.get(detail).status_code == 404
        assert client.post(revoke, {"data": "purge", "confirm": "on"}).status_code == 404
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.CONNECTED
    assert connection.organization == organization


@pytest.mark.django_db
def test_connect_command_refuses_a_bad_key(organization, mocked_pagerduty):
    mocked_pagerduty.get(f"{API}/users", status=401, json={"error": {"code": 2006}})
    with pytest.raises(CommandError, match="refused this API key"):
        call_command("pagerduty_connect", "--org", organization.slug, "--api-key", "u+badbadbadbad")
    assert not Connection.objects.exists()


@pytest.mark.django_db
def test_connect_command_then_revoke_command(organization, mocked_pagerduty, capsys):
    mocked_pagerduty.get(f"{API}/users", json=users_page("globex"))
    call_command(
        "pagerduty_connect",
        "--org",
        organization.slug,
        "--api-key",
        "u+goodgoodgood",
        "--purposes",
        "incident_management,spend",
    )
    connection = Connection.objects.get()
    assert connection.purposes == ["incident_management", "spend"]
    call_command("pagerduty_revoke", "--org", organization.slug, "--purge")
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.REVOKED
    assert "Revoke All Tokens" in capsys.readouterr().out


@pytest.mark.django_db
def test_credentials_survive_key_rotation(settings, organization):
    from cryptography.fernet import Fernet

    from sprintolike.crypto import rotate

    connection = ConnectionFactory(organization=organization, api_key="u+rotateme123")
    old_key = settings.CREDENTIALS_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key, old_key]
    assert Connection.objects.get(pk=connection.pk).api_key == "u+rotateme123"
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT api_key FROM integrations_connection WHERE id = %s", [connection.pk])
        rotated = rotate(cursor.fetchone()[0])
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key]
    from sprintolike.crypto import decrypt

    assert decrypt(rotated) == "u+rotateme123"


@pytest.mark.django_db
def test_rotate_command_reencrypts_with_the_new_key(settings, organization):
    from cryptography.fernet import Fernet

    connection = ConnectionFactory(organization=organization, api_key="u+rotateme456")
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key, *settings.CREDENTIALS_ENCRYPTION_KEYS]
    call_command("rotate_credentials_key")
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key]
    assert Connection.objects.get(pk=connection.pk).api_key == "u+rotateme456"
