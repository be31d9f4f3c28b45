import pytest

from tenants.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Login throttling counts failures in the cache; one test's failures must not lock out the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def organization(db):
    return OrganizationFactory()


def _member(organization, role):
    return MembershipFactory(organization=organization, role=role).user


@pytest.fixture
def owner(organization):
    return _member(organization, Role.OWNER)


@pytest.fixture
def admin_user(organization):
    return _member(organization, Role.ADMIN)


@pytest.fixture
def member(organization):
    return _member(organization, Role.MEMBER)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def standin(settings):
    """A local PagerDuty stand-in on a free port, with the app's settings pointed at it.

    Small and deterministic; tests that need other sizes or options build their own
    `StandinServer(StandinOptions(...))` and call `point_settings_at(settings, server)`.
    """
    from pagerduty_standin import StandinOptions, StandinServer

    server = StandinServer(
        StandinOptions(
            port=0, seed=7, incident_count=300, user_count=40, service_count=6, subdomain="acme"
        )
    ).start()
    point_settings_at(settings, server)
    yield server
    server.stop()


def point_settings_at(settings, server) -> None:
    from pagerduty_standin import DEFAULT_OAUTH_CLIENT_ID, DEFAULT_OAUTH_CLIENT_SECRET

    settings.PAGERDUTY_API_URL = server.url
    settings.PAGERDUTY_EU_API_URL = server.url
    settings.PAGERDUTY_IDENTITY_URL = server.url
    settings.PAGERDUTY_JWKS_URL = f"{server.url}/global/oauth/anonymous/jwks"
    settings.PAGERDUTY_CLIENT_ID = server.options.oauth_client_id or DEFAULT_OAUTH_CLIENT_ID
    settings.PAGERDUTY_CLIENT_SECRET = (
        server.options.oauth_client_secret or DEFAULT_OAUTH_CLIENT_SECRET
    )
