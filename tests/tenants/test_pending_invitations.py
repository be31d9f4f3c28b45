"""An invitation waits for its invitee after sign-in, and the staff import offers a template."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from tenants.models import Membership, Role, StaffMember
from tenants.staff_import import staff_import
from tests.factories import InvitationFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitee(client):
    user = UserFactory(email="ann@example.com")
    client.force_login(user)
    return user


def accept_url(invitation) -> str:
    return reverse("invitation_accept_signed_in", args=[invitation.pk])


def test_a_user_without_an_org_sees_the_invitation_where_they_land(client, invitee):
    invitation = InvitationFactory(
        email="Ann@Example.com", role=Role.ADMIN, organization__name="Globex"
    )

    response = client.get(reverse("home"), follow=True)

    body = response.content.decode()
    assert "You have an invitation" in body
    assert "Globex" in body and "Admin" in body
    assert accept_url(invitation) in body


def test_a_member_elsewhere_sees_it_on_the_dashboard(client, invitee):
    membership = MembershipFactory(user=invitee)
    InvitationFactory(email=invitee.email, organization__name="Initech")

    response = client.get(reverse("tenants:dashboard", args=[membership.organization.slug]))

    assert "Initech" in response.content.decode()


def test_accepting_from_the_banner_joins_the_org(client, invitee):
    invitation = InvitationFactory(email=invitee.email, role=Role.ADMIN)

    response = client.post(accept_url(invitation))

    assert response["Location"] == reverse("tenants:dashboard", args=[invitation.organization.slug])
    assert Membership.objects.get(user=invitee, organization=invitation.organization).role == (
        Role.ADMIN
    )
    assert client.get(reverse("org_create")).content.decode().count("You have an") == 0


def test_an_invitation_to_a_verified_second_address_is_shown_and_accepted(client, invitee):
    EmailAddress.objects.create(user=invitee, email="ann@work.example", verified=True)
    invitation = InvitationFactory(email="ann@work.example")

    assert "ann@work.example" in client.get(reverse("org_create")).content.decode()
    client.post(accept_url(invitation))
    assert Membership.objects.filter(user=invitee, organization=invitation.organization).exists()


@pytest.mark.parametrize(
    "kind", ["someone_else", "unverified_address", "expired", "revoked", "already_member"]
)
def test_invitations_not_waiting_for_the_user_are_hidden_and_refused(client, invitee, kind):
    email = invitee.email
    extra = {}
    if kind == "someone_else":
        email = "bob@example.com"
    elif kind == "unverified_address":
        email = "ann@unverified.example"
        EmailAddress.objects.create(user=invitee, email=email, verified=False)
    elif kind == "expired":
        extra["expires_at"] = timezone.now() - timedelta(minutes=1)
    elif kind == "revoked":
        extra["revoked_at"] = timezone.now()
    invitation = InvitationFactory(email=email, **extra)
    if kind == "already_member":
        MembershipFactory(user=invitee, organization=invitation.organization)

    assert "You have an" not in client.get(reverse("org_create")).content.decode()
    assert client.post(accept_url(invitation)).status_code == 404
    assert invitation.organization.memberships.filter(user=invitee).count() == (
        1 if kind == "already_member" else 0
    )


def test_accepting_needs_a_signed_in_user_and_a_post(client):
    invitation = InvitationFactory()
    assert client.post(accept_url(invitation))["Location"].startswith(reverse("account_login"))
    client.force_login(UserFactory(email=invitation.email))
    assert client.get(accept_url(invitation)).status_code == 405


# --- Staff import template ---------------------------------------------------------------------


def test_import_page_links_a_template_csv_that_imports_cleanly(admin_client, organization):
    page = admin_client.get(reverse("tenants:staff_import", args=[organization.slug]))
    template_url = reverse("tenants:staff_import_template", args=[organization.slug])
    assert template_url in page.content.decode()

    response = admin_client.get(template_url)

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0] == "name,email,org_role,status,start_date,last_working_day,alternate_emails"
    assert len(lines) == 2
    result = staff_import(
        organization=organization,
        content=response.content,
        create_missing_org_roles=True,
        acting_user=None,
    )
    assert result.ok, result.errors
    assert StaffMember.objects.filter(organization=organization, email="grace@example.com").exists()


def test_members_cannot_download_the_import_template(member_client, organization):
    url = reverse("tenants:staff_import_template", args=[organization.slug])
    assert member_client.get(url).status_code == 403


def test_foreign_org_template_is_404(admin_client):
    other = OrganizationFactory()
    url = reverse("tenants:staff_import_template", args=[other.slug])
    assert admin_client.get(url).status_code == 404
