"""Writes of tenant data. Each change is atomic and records an audit event in the same transaction."""

import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from sprintolike.audit_context import audit_facts
from tenants.alternate_emails import (
    alternate_emails_replace,
)
from tenants.hooks import staff_changed
from tenants.models import (
    INVITATION_LIFETIME,
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    OrgRole,
    Role,
    StaffMember,
    StaffStatus,
    hash_invitation_token,
)
from tenants.throttles import Throttle, throttles_first_exceeded, throttles_record


class TenantError(Exception):
    """A change the rules refuse; the message is shown to the user as it is."""


def audit_event_record(
    *,
    organization: Organization,
    actor: Any,
    action: str,
    target: Model | None = None,
    details: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target=str(target)[:300] if target is not None else "",
        details={**(details or {}), **audit_facts()},  # e.g. the API token behind the change
    )


def unique_org_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, counter = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


@transaction.atomic
def organization_create(*, name: str, owner: Any, slug: str = "") -> Organization:
    slug = slug or unique_org_slug(name)
    if Organization.objects.filter(slug=slug).exists():
        raise TenantError(f"The address “{slug}” is taken; choose another.")
    organization = Organization.objects.create(name=name, slug=slug)
    Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    audit_event_record(
        organization=organization, actor=owner, action="organization.create", target=organization
    )
    return organization


def _owner_count(organization: Organization) -> int:
    return organization.memberships.select_for_update().filter(role=Role.OWNER).count()


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str, acting_user: Any) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role not in Role.values:
        raise TenantError("Unknown role.")
    demoting_owner = membership.role == Role.OWNER and role != Role.OWNER
    if demoting_owner and _owner_count(membership.organization) <= 1:
        raise TenantError("The last owner cannot be demoted. Make someone else an owner first.")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_event_record(
        organization=membership.organization,
        actor=acting_user,
        action="membership.role_change",
        target=membership,
        details={"from": previous, "to": role, "user": membership.user.email},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user: Any) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and _owner_count(membership.organization) <= 1:
        raise TenantError("The last owner cannot be removed.")
    audit_event_record(
        organization=membership.organization,
        actor=acting_user,
        action="membership.remove",
        target=membership,
        details={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


def _invitation_throttles(*, organization: Organization, email: str) -> list[Throttle]:
    """Invitation emails per organisation per hour and per address per day (across all orgs),
    so nobody can use Sprintolike to flood an inbox or to send mail in bulk."""
    return [
        Throttle(
            scope="invitations-per-org",
            key=str(organization.pk),
            limit=settings.INVITATIONS_PER_ORG_PER_HOUR,
            period=timedelta(hours=1),
        ),
        Throttle(
            scope="invitations-per-email",
            key=email,
            limit=settings.INVITATIONS_PER_EMAIL_PER_DAY,
            period=timedelta(days=1),
        ),
    ]


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, invited_by: Any
) -> tuple[Invitation, str]:
    """Create an invitation and return it with the raw token (only its hash is stored)."""
    email = email.strip().lower()
    if organization.memberships.filter(user__email__iexact=email).exists():
        raise TenantError(f"{email} is already a member of this organisation.")
    if (
        role == Role.OWNER
        and not organization.memberships.filter(user=invited_by, role=Role.OWNER).exists()
    ):
        raise TenantError("Only an owner can invite another owner.")
    throttles = _invitation_throttles(organization=organization, email=email)
    exceeded = throttles_first_exceeded(throttles)
    if exceeded is not None and exceeded.scope == "invitations-per-org":
        raise TenantError(
            f"This organisation has sent {exceeded.limit} invitations in the last hour. "
            "Try again later."
        )
    if exceeded is not None:
        raise TenantError(
            f"{email} has been invited {exceeded.limit} times in the last 24 hours. "
            "Try again tomorrow, or ask them to use the latest invitation email."
        )
    throttles_record(throttles)
    organization.invitations.pending().filter(email__iexact=email).update(revoked_at=timezone.now())
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=hash_invitation_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit_event_record(
        organization=organization,
        actor=invited_by,
        action="invitation.create",
        target=invitation,
        details={"email": email, "role": role},
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization")
        .filter(token_hash=hash_invitation_token(token))
        .first()
    )


def _user_holds_address(*, user: Any, email: str) -> bool:
    """The user's own address, or another address of theirs that they have verified."""
    from allauth.account.models import EmailAddress

    if user.email.lower() == email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: Any) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != "pending":
        raise TenantError(f"This invitation is {invitation.status}; ask for a new one.")
    if not _user_holds_address(user=user, email=invitation.email):
        raise TenantError(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_event_record(
        organization=invitation.organization,
        actor=user,
        action="invitation.accept",
        target=invitation,
        details={"email": invitation.email, "role": membership.role, "new_member": created},
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user: Any) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_event_record(
        organization=invitation.organization,
        actor=acting_user,
        action="invitation.revoke",
        target=invitation,
        details={"email": invitation.email},
    )


def _check_org_role_name(*, organization: Organization, name: str, exclude_pk: int | None) -> str:
    name = name.strip()
    clash = organization.org_roles.filter(name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise TenantError(f"An org role named “{name}” already exists.")
    return name


@transaction.atomic
def org_role_create(
    *, organization: Organization, name: str, description: str = "", acting_user: Any
) -> OrgRole:
    name = _check_org_role_name(organization=organization, name=name, exclude_pk=None)
    org_role = OrgRole.objects.create(organization=organization, name=name, description=description)
    audit_event_record(
        organization=organization, actor=acting_user, action="org_role.create", target=org_role
    )
    return org_role


@transaction.atomic
def org_role_update(*, org_role: OrgRole, name: str, description: str, acting_user: Any) -> OrgRole:
    org_role.name = _check_org_role_name(
        organization=org_role.organization, name=name, exclude_pk=org_role.pk
    )
    org_role.description = description
    org_role.save()
    audit_event_record(
        organization=org_role.organization,
        actor=acting_user,
        action="org_role.update",
        target=org_role,
    )
    return org_role


@transaction.atomic
def org_role_delete(*, org_role: OrgRole, acting_user: Any) -> None:
    audit_event_record(
        organization=org_role.organization,
        actor=acting_user,
        action="org_role.delete",
        target=org_role,
        details={"staff_unassigned": org_role.staff_members.count()},
    )
    org_role.delete()


STAFF_FIELDS = ("name", "email", "org_role", "status", "start_date", "last_working_day")


def _staff_details(staff_member: StaffMember) -> dict:
    return {
        "name": staff_member.name,
        "email": staff_member.email,
        "org_role": staff_member.org_role.name if staff_member.org_role else None,
        "status": staff_member.status,
        "start_date": staff_member.start_date.isoformat() if staff_member.start_date else None,
        "last_working_day": (
            staff_member.last_working_day.isoformat() if staff_member.last_working_day else None
        ),
    }


@transaction.atomic
def staff_member_save(
    *, staff_member: StaffMember, acting_user: Any, alternate_emails: list[str] | None = None
) -> StaffMember:
    """Create or update a staff member from a validated instance (a ModelForm's); a list of
    `alternate_emails` replaces the stored ones (None leaves them)."""
    created = staff_member.pk is None
    staff_member.save()
    details = _staff_details(staff_member)
    if alternate_emails is not None:
        alternate_emails_replace(
            organization=staff_member.organization,
            emails_by_staff_id={staff_member.pk: alternate_emails},
        )
        details["alternate_emails"] = alternate_emails
    audit_event_record(
        organization=staff_member.organization,
        actor=acting_user,
        action="staff.create" if created else "staff.update",
        target=staff_member,
        details=details,
    )
    staff_changed(organization_id=staff_member.organization_id)
    return staff_member


@transaction.atomic
def staff_member_offboard(
    *, staff_member: StaffMember, last_working_day: date, acting_user: Any
) -> StaffMember:
    if staff_member.start_date and last_working_day < staff_member.start_date:
        raise TenantError("The last working day cannot be before the start date.")
    staff_member.status = StaffStatus.OFFBOARDED
    staff_member.last_working_day = last_working_day
    staff_member.save(update_fields=["status", "last_working_day", "updated_at"])
    audit_event_record(
        organization=staff_member.organization,
        actor=acting_user,
        action="staff.offboard",
        target=staff_member,
        details={"last_working_day": last_working_day.isoformat()},
    )
    staff_changed(organization_id=staff_member.organization_id)
    return staff_member


def user_get_or_create(*, email: str) -> tuple[Any, str | None]:
    """Find a user by email or create one with a one-time password (returned once, never stored)."""
    from allauth.account.models import EmailAddress

    user_model = get_user_model()
    email = email.strip().lower()
    user = user_model.objects.filter(email__iexact=email).first()
    if user:
        return user, None
    password = secrets.token_urlsafe(15)
    user = user_model.objects.create_user(username=email[:150], email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user, password
