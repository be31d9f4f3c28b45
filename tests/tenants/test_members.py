"""Organisations, memberships, invitations, the last-owner rule, staff pages and login with MFA."""

from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tenants.models import (
    AuditEvent,
    Membership,
    Organization,
    Role,
    StaffMember,
    StaffStatus,
    hash_invitation_token,
)
from tenants.services import (
    TenantError,
    invitation_accept,
    membership_remove,
    membership_role_change,
)
from tests.factories import (
    TEST_PASSWORD,
    InvitationFactory,
    MembershipFactory,
    StaffMemberFactory,
    UserFactory,
)
from tests.security.mfa import totp_code


@pytest.mark.django_db
def test_user_without_org_is_asked_to_create_one_and_becomes_owner(client, user):
    client.force_login(user)
    assert client.get("/")["Location"] == reverse("org_create")
    response = client.post(reverse("org_create"), {"name": "Acme Corp"})
    organization = Organization.objects.get(name="Acme Corp")
    assert response["Location"] == reverse("tenants:dashboard", args=[organization.slug])
    assert Membership.objects.get(user=user, organization=organization).role == Role.OWNER


@pytest.mark.django_db
def test_a_user_in_two_orgs_can_switch_between_them(client, user):
    first, second = MembershipFactory(user=user), MembershipFactory(user=user)
    client.force_login(user)
    page = client.get(reverse("tenants:dashboard", args=[first.organization.slug])).content.decode()
    assert first.organization.name in page and second.organization.name in page


@pytest.mark.django_db
def test_last_owner_can_be_neither_demoted_nor_removed(organization, owner):
    membership = Membership.objects.get(user=owner, organization=organization)
    with pytest.raises(TenantError, match="last owner"):
        membership_role_change(membership=membership, role=Role.ADMIN, acting_user=owner)
    with pytest.raises(TenantError, match="last owner"):
        membership_remove(membership=membership, acting_user=owner)
    second = MembershipFactory(organization=organization, role=Role.OWNER)
    membership_role_change(membership=membership, role=Role.ADMIN, acting_user=second.user)
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN


@pytest.mark.django_db
def test_owner_changes_a_role_through_the_members_page(owner_client, organization, member):
    membership = Membership.objects.get(user=member, organization=organization)
    owner_client.post(
        reverse("tenants:membership_role_change", args=[organization.slug, membership.pk]),
        {"role": "admin"},
    )
    assert Membership.objects.get(pk=membership.pk).role == Role.ADMIN
    event = AuditEvent.objects.get(action="membership.role_change")
    assert event.details == {"from": "member", "to": "admin", "user": member.email}


@pytest.mark.django_db
def test_invitation_is_emailed_and_accepted_by_a_new_user(admin_client, organization, client):
    response = admin_client.post(
        reverse("tenants:invitation_create", args=[organization.slug]),
        {"email": "New.Person@example.com", "role": "admin"},
    )
    assert response.status_code == 302
    link = next(line for line in mail.outbox[0].body.split() if "/invitations/" in line)
    path = link.split("testserver", 1)[1]
    admin_client.logout()

    # Anonymous: shown the invitation, then signs up with the invited address (no extra
    # verification email: the link proved the address).
    assert "Sign up" in client.get(path).content.decode()
    client.post(
        reverse("account_signup"),
        {"email": "new.person@example.com", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    response = client.post(path)
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.person@example.com")
    assert membership.organization == organization and membership.role == Role.ADMIN


@pytest.mark.django_db
def test_existing_user_accepts_an_invitation(client, organization):
    user = UserFactory(email="exists@example.com")
    InvitationFactory(
        organization=organization,
        email="exists@example.com",
        token_hash=hash_invitation_token("known-token"),
    )
    client.force_login(user)
    response = client.post(reverse("invitation_accept", args=["known-token"]))
    assert response["Location"] == reverse("tenants:dashboard", args=[organization.slug])
    assert Membership.objects.get(user=user).organization == organization


@pytest.mark.django_db
def test_expired_invitation_is_refused(client, organization):
    user = UserFactory(email="late@example.com")
    invitation = InvitationFactory(
        organization=organization,
        email="late@example.com",
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    with pytest.raises(TenantError, match="expired"):
        invitation_accept(invitation=invitation, user=user)
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_invitation_for_someone_else_is_refused(organization):
    invitation = InvitationFactory(organization=organization, email="intended@example.com")
    intruder = UserFactory(email="intruder@example.com")
    with pytest.raises(TenantError, match="is for intended@example.com"):
        invitation_accept(invitation=invitation, user=intruder)
    assert not Membership.objects.filter(user=intruder).exists()


@pytest.mark.django_db
def test_unknown_invitation_link_is_a_404(client):
    assert client.get(reverse("invitation_accept", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_staff_member_added_edited_and_offboarded(admin_client, organization):
    base = reverse("tenants:staff_create", args=[organization.slug])
    response = admin_client.post(
        base, {"name": "Ada", "email": "ADA@example.com", "status": "active"}
    )
    assert response.status_code == 302
    staff = StaffMember.objects.get(organization=organization)
    assert staff.email == "ada@example.com"
    duplicate = admin_client.post(
        base, {"name": "Ada 2", "email": "ada@example.com", "status": "active"}
    )
    assert duplicate.status_code == 400
    assert "already has this email" in duplicate.content.decode()
    admin_client.post(
        reverse("tenants:staff_offboard", args=[organization.slug, staff.pk]),
        {"last_working_day": "2026-01-31"},
    )
    staff.refresh_from_db()
    assert staff.status == StaffStatus.OFFBOARDED and str(staff.last_working_day) == "2026-01-31"


@pytest.mark.django_db
def test_offboarded_without_last_working_day_is_an_error_beside_the_field(
    admin_client, organization
):
    response = admin_client.post(
        reverse("tenants:staff_create", args=[organization.slug]),
        {"name": "Ada", "email": "ada@example.com", "status": "offboarded"},
    )
    assert response.status_code == 400
    assert 'id="id_last_working_day_error"' in response.content.decode()


@pytest.mark.django_db
def test_staff_list_searches_filters_and_paginates(member_client, organization):
    for number in range(60):
        StaffMemberFactory(organization=organization, name=f"Zed {number:02}")
    StaffMemberFactory(organization=organization, name="Ada", status=StaffStatus.OFFBOARDED)
    url = reverse("tenants:staff_list", args=[organization.slug])
    page = member_client.get(url).content.decode()
    assert "Page 1 of 2" in page
    assert "Ada" in member_client.get(url, {"q": "ada"}).content.decode()
    offboarded = member_client.get(url, {"status": "offboarded"}).content.decode()
    assert "Ada" in offboarded and "Zed 01" not in offboarded


@pytest.mark.django_db
def test_staff_list_queries_are_bounded(member_client, organization, django_assert_max_num_queries):
    for _ in range(120):
        StaffMemberFactory(organization=organization)
    with django_assert_max_num_queries(12):
        member_client.get(reverse("tenants:staff_list", args=[organization.slug]))


@pytest.mark.django_db
def test_createorg_command_creates_owner_with_one_time_password(capsys):
    call_command("createorg", "--name", "Acme", "--slug", "acme", "--owner-email", "boss@acme.test")
    output = capsys.readouterr().out
    assert "one-time password" in output
    assert Membership.objects.get(organization__slug="acme").role == Role.OWNER


@pytest.mark.django_db
def test_login_with_totp_mfa(client):
    user = UserFactory(email="mfa@example.com")
    client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    # Turning MFA on asks for the password again, as it should.
    assert client.get(reverse("mfa_activate_totp")).status_code == 302
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert user.authenticator_set.filter(type="totp").exists()
    client.post(reverse("account_logout"))

    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_failed_logins_are_throttled(client):
    user = UserFactory(email="victim@example.com")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)
