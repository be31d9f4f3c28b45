"""Every account of a critical system with who it belongs to, computed in SQL.

Identification is a join, not a loop: each account is annotated with its identity decided by
hand (`AccountIdentity`), the staff member whose email or alternate email equals its email
(both stored in lower case, so the match is case-insensitive), and that staff member's status
and org role. Pages, checks, CSVs and reviews all start from `system_accounts`, so a tab with
5,000 accounts stays one query per page.
"""

from __future__ import annotations

from datetime import date

from django.db.models import (
    Case,
    CharField,
    DateField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from access.models import AccountIdentity, CriticalSystem, IdentityKind, ManualAccount
from access.rules import Identification
from integrations.models import Connection, Purpose, RemoteAccount
from tenants.models import StaffAlternateEmail, StaffMember


def access_connections(*, organization) -> list[Connection]:
    """Connections whose accounts count for access management (not revoked)."""
    return [
        connection
        for connection in Connection.objects.filter(organization=organization)
        if connection.serves(Purpose.ACCESS_MANAGEMENT)
    ]


def annotate_identity(
    queryset: QuerySet, *, system: CriticalSystem, key_field: str, on: date | None = None
) -> QuerySet:
    """Add `identification`, `staff_id` and the staff member's name, email, status, org role
    and last working day to a queryset of accounts with an `email` column."""
    organization_id = system.organization_id
    on = on or timezone.now().date()
    # A "not a staff account" mark past its expiry no longer holds: the account is judged again.
    identity = AccountIdentity.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on),
        system_id=system.pk,
        account_key=OuterRef(key_field),
    )
    by_main_email = StaffMember.objects.filter(
        organization_id=organization_id, email=OuterRef("email")
    ).values("pk")[:1]
    by_alternate_email = StaffAlternateEmail.objects.filter(
        organization_id=organization_id, email=OuterRef("email")
    ).values("staff_member_id")[:1]
    queryset = queryset.annotate(
        identity_kind=Subquery(identity.values("kind")[:1], output_field=CharField()),
        identity_staff_id=Subquery(
            identity.values("staff_member_id")[:1], output_field=IntegerField()
        ),
        identity_reason=Subquery(identity.values("reason")[:1], output_field=CharField()),
        identity_not_staff_kind=Subquery(
            identity.values("not_staff_kind")[:1], output_field=CharField()
        ),
        identity_expires_on=Subquery(identity.values("expires_on")[:1], output_field=DateField()),
        auto_staff_id=Coalesce(
            Subquery(by_main_email, output_field=IntegerField()),
            Subquery(by_alternate_email, output_field=IntegerField()),
        ),
    ).annotate(
        identification=Case(
            When(identity_kind=IdentityKind.NOT_STAFF, then=Value(Identification.NOT_STAFF.value)),
            When(identity_kind=IdentityKind.MAPPED, then=Value(Identification.MANUAL.value)),
            When(auto_staff_id__isnull=False, then=Value(Identification.AUTO.value)),
            default=Value(Identification.NOT_IDENTIFIED.value),
            output_field=CharField(),
        ),
        staff_id=Case(
            When(identity_kind=IdentityKind.NOT_STAFF, then=Value(None)),
            When(identity_kind=IdentityKind.MAPPED, then=F("identity_staff_id")),
            default=F("auto_staff_id"),
            output_field=IntegerField(),
        ),
    )
    staff = StaffMember.objects.filter(pk=OuterRef("staff_id"))
    return queryset.annotate(
        staff_name=Subquery(staff.values("name")[:1], output_field=CharField()),
        staff_email=Subquery(staff.values("email")[:1], output_field=CharField()),
        staff_status=Subquery(staff.values("status")[:1], output_field=CharField()),
        staff_org_role_id=Subquery(staff.values("org_role_id")[:1], output_field=IntegerField()),
        staff_org_role_name=Subquery(staff.values("org_role__name")[:1], output_field=CharField()),
        staff_last_working_day=Subquery(
            staff.values("last_working_day")[:1], output_field=DateField()
        ),
    )


def pagerduty_accounts(
    *, system: CriticalSystem, on: date | None = None
) -> QuerySet[RemoteAccount]:
    """The PagerDuty accounts (live and removed) of the organisation's access connections."""
    connections = access_connections(organization=system.organization)
    queryset = RemoteAccount.objects.filter(
        organization_id=system.organization_id, connection__in=connections
    )
    return annotate_identity(queryset, system=system, key_field="external_id", on=on)


def manual_accounts(*, system: CriticalSystem, on: date | None = None) -> QuerySet[ManualAccount]:
    queryset = ManualAccount.objects.filter(system=system)
    return annotate_identity(queryset, system=system, key_field="email", on=on)


def system_accounts(
    *, system: CriticalSystem, live_only: bool = True, on: date | None = None
) -> QuerySet:
    """The system's accounts with their identification (live only unless asked)."""
    if system.is_pagerduty:
        queryset = pagerduty_accounts(system=system, on=on).select_related("license")
        return queryset.filter(removed_at__isnull=True) if live_only else queryset
    return manual_accounts(system=system, on=on)


def account_key_of(account: RemoteAccount | ManualAccount) -> str:
    return account.external_id if isinstance(account, RemoteAccount) else account.email
