import pytest

from tenants.models import Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


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
