"""Reads of tenant data. Each one starts from the organisation it is asked about."""

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, OrderBy, Q, QuerySet

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


def audit_event_list(*, organization: Organization) -> QuerySet[AuditEvent]:
    return organization.audit_events.select_related("actor")
