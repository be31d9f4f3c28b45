"""The role → action table, and that every org page enforces it."""

import pytest
from django.urls import reverse

from tenants.models import Role
from tenants.permissions import Action, Permissions, role_can
from tests.factories import MembershipFactory, OrganizationFactory
from tests.foreign_objects import foreign_object_makers, kwargs_without_makers
from tests.urlwalk import org_urls

MEMBER_ACTIONS = {Action.VIEW, Action.EXPORT_EVIDENCE}
OWNER_ONLY_ACTIONS = {Action.MANAGE_MEMBERS, Action.REVOKE_INTEGRATION, Action.DELETE_SYNCED_DATA}
ADMIN_ACTIONS = set(Action) - OWNER_ONLY_ACTIONS

EXPECTED = {
    Role.OWNER: set(Action),
    Role.ADMIN: ADMIN_ACTIONS,
    Role.MEMBER: MEMBER_ACTIONS,
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_role_is_allowed_exactly_the_actions_of_the_table(role, action):
    assert role_can(role, action) is (action in EXPECTED[role])


def test_unknown_role_can_do_nothing():
    assert not any(role_can("visitor", action) for action in Action)


def test_template_permissions_follow_the_table():
    assert Permissions(Role.ADMIN).manage_staff is True
    assert Permissions(Role.MEMBER).manage_staff is False
    assert Permissions(None).view is False
    with pytest.raises(AttributeError):
        _ = Permissions(Role.OWNER).fly


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MEMBER, Role.ADMIN])
def test_org_pages_refuse_roles_without_the_action(client, role):
    organization = OrganizationFactory()
    user = MembershipFactory(organization=organization, role=role).user
    MembershipFactory(organization=organization, role=Role.OWNER)
    ids = {name: make(organization) for name, make in foreign_object_makers().items()}
    client.force_login(user)
    urls = org_urls()
    assert not kwargs_without_makers(urls, ids), "Add makers to tests/<app>/objects.py"
    for url in urls:
        action = url.callback.required_action
        path = reverse(
            url.name, kwargs={"org_slug": organization.slug, **{k: ids[k] for k in url.kwargs}}
        )
        if role_can(role, action):
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code == 405:
                continue
            assert response.status_code == 403, (
                f"{role} {method} {url.name}: {response.status_code}"
            )


@pytest.mark.django_db
def test_member_sees_no_management_buttons(member_client, organization):
    response = member_client.get(reverse("tenants:staff_list", args=[organization.slug]))
    assert response.status_code == 200
    assert b"Add staff member" not in response.content
    assert b"Import CSV" not in response.content


@pytest.mark.django_db
def test_admin_sees_management_buttons(admin_client, organization):
    response = admin_client.get(reverse("tenants:staff_list", args=[organization.slug]))
    assert b"Add staff member" in response.content


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client, organization):
    response = client.get(reverse("tenants:dashboard", args=[organization.slug]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
