"""Reads of tenant data. Each one starts from the organisation it is asked about."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, OrderBy, Q, QuerySet
from django.utils import timezone

from tenants.audit import audit_action_label, registered_audit_actions
from tenants.models import (
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    OrgRole,
    StaffMember,
)


def membership_list_for_user(*, user: Any) -> list[Membership]:
    return list(Membership.objects.filter(user=user).select_related("organization"))


def membership_list(
    *, organization: Organization, order_by: Sequence[str | OrderBy] = ("user__email", "pk")
) -> QuerySet[Membership]:
    return organization.memberships.select_related("user").order_by(*order_by)


def invitation_pending_list(*, organization: Organization) -> QuerySet[Invitation]:
    return organization.invitations.pending().select_related("invited_by")


def invitation_pending_list_for_user(*, user: Any) -> QuerySet[Invitation]:
    """Invitations waiting for this user: sent to one of their verified addresses, to an
    organisation they have not joined yet. Shown after sign-in, so a lost email loses nothing."""
    from allauth.account.models import EmailAddress

    verified_emails = list(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )
    if not verified_emails:
        return Invitation.objects.none()
    to_any_address = Q()
    for email in verified_emails:
        to_any_address |= Q(email__iexact=email)
    return (
        Invitation.objects.pending()
        .filter(to_any_address)
        .exclude(organization__memberships__user=user)
        .select_related("organization", "invited_by")
        .order_by("-created_at")
    )


def org_role_list(*, organization: Organization) -> QuerySet[OrgRole]:
    return organization.org_roles.annotate(staff_count=Count("staff_members")).order_by("name")


def staff_member_list(
    *,
    organization: Organization,
    search: str = "",
    status: str = "",
    org_role_id: int | None = None,
    order_by: Sequence[str | OrderBy] = ("name", "pk"),
) -> QuerySet[StaffMember]:
    queryset = organization.staff_members.select_related("org_role")
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(email__icontains=search))
    if status:
        queryset = queryset.filter(status=status)
    if org_role_id:
        queryset = queryset.filter(org_role_id=org_role_id)
    return queryset.order_by(*order_by)


def audit_event_list(
    *,
    organization: Organization,
    action: str = "",
    actor_id: int | None = None,
    system_only: bool = False,
    start: date | None = None,
    end: date | None = None,
    order_by: Sequence[str | OrderBy] = ("-created_at", "-pk"),
) -> QuerySet[AuditEvent]:
    """The organisation's events, filtered; `start` and `end` are whole days in the site's zone."""
    queryset = organization.audit_events.select_related("actor")
    if action:
        queryset = queryset.filter(action=action)
    if system_only:
        queryset = queryset.filter(actor__isnull=True)
    elif actor_id:
        queryset = queryset.filter(actor_id=actor_id)
    # The first and last two days of the calendar bound nothing (and would overflow in UTC).
    if start and start > date.min + timedelta(days=1):
        queryset = queryset.filter(created_at__gte=_start_of_day(start))
    if end and end < date.max - timedelta(days=1):
        queryset = queryset.filter(created_at__lt=_start_of_day(end + timedelta(days=1)))
    return queryset.order_by(*order_by)


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def audit_action_choices(*, organization: Organization) -> list[tuple[str, str]]:
    """Actions to filter by: every action this organisation's log holds, plus the registered ones."""
    recorded = set(organization.audit_events.order_by().values_list("action", flat=True).distinct())
    actions = recorded | set(registered_audit_actions())
    return sorted(
        ((action, audit_action_label(action)) for action in actions), key=lambda choice: choice[1]
    )


def audit_actor_choices(*, organization: Organization) -> list[tuple[int, str]]:
    """People to filter by: current members and anyone who acted in this organisation before."""
    actor_ids = organization.audit_events.filter(actor__isnull=False).values("actor_id")
    users = get_user_model().objects.filter(
        Q(pk__in=actor_ids) | Q(memberships__organization=organization)
    )
    return list(users.distinct().order_by("email").values_list("pk", "email"))


def organization_for_command(slug: str) -> Organization:
    """The organisation a management command's --org names, or the CommandError it prints."""
    from django.core.management.base import CommandError

    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(f"No organisation with slug {slug!r}.")
    return organization
