"""Every account of a critical system with who it belongs to, computed in SQL.

Identification is a join, not a loop: each account is annotated with its identity decided by
hand (`AccountIdentity`), the staff member whose email or alternate email equals its email
(both stored in lower case, so the match is case-insensitive), and that staff member's status
and org role. Pages, checks, CSVs and reviews all start from `system_accounts`, so a tab with
5,000 accounts stays one query per page. These subqueries are evaluated per row: lists that sort,
filter or count over every account use the same rule as joins (`access.account_facts`) and
annotate only the rows they show.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
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
from access.rules import Identification, identification_of
from integrations.models import Connection, Purpose, RemoteAccount
from tenants.models import StaffAlternateEmail, StaffMember


def access_connections(*, organization) -> list[Connection]:
    """Connections whose accounts count for access management (not revoked)."""
    return [
        connection
        for connection in Connection.objects.filter(organization=organization)
        if connection.serves(Purpose.ACCESS_MANAGEMENT)
    ]


def annotate_email_match(queryset: QuerySet, *, organization_id: int) -> QuerySet:
    """Add `auto_staff_id`: the staff member whose email, else alternate email, equals the
    account's `email` (both stored lower case, so the match ignores case)."""
    by_main_email = StaffMember.objects.filter(
        organization_id=organization_id, email=OuterRef("email")
    ).values("pk")[:1]
    by_alternate_email = StaffAlternateEmail.objects.filter(
        organization_id=organization_id, email=OuterRef("email")
    ).values("staff_member_id")[:1]
    return queryset.annotate(
        auto_staff_id=Coalesce(
            Subquery(by_main_email, output_field=IntegerField()),
            Subquery(by_alternate_email, output_field=IntegerField()),
        )
    )


def annotate_identity(
    queryset: QuerySet, *, system: CriticalSystem, key_field: str, on: date | None = None
) -> QuerySet:
    """Add `identification`, `staff_id` and the staff member's name, email, status, org role
    and last working day to a queryset of accounts with an `email` column."""
    return _annotate_identity(
        queryset,
        organization_id=system.organization_id,
        system_id=system.pk,
        key_field=key_field,
        on=on,
    )


def _annotate_identity(
    queryset: QuerySet,
    *,
    organization_id: int,
    system_id: int | OuterRef,
    key_field: str,
    on: date | None = None,
) -> QuerySet:
    """`annotate_identity` for one system (`system_id` an id) or for accounts of several
    systems (`OuterRef("system_id")`: each account is judged under its own system's decisions)."""
    on = on or timezone.now().date()
    # A "not a staff account" mark past its expiry no longer holds: the account is judged again.
    identity = AccountIdentity.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on),
        system_id=system_id,
        account_key=OuterRef(key_field),
    )
    queryset = (
        annotate_email_match(queryset, organization_id=organization_id)
        .annotate(
            identity_kind=Subquery(identity.values("kind")[:1], output_field=CharField()),
            identity_staff_id=Subquery(
                identity.values("staff_member_id")[:1], output_field=IntegerField()
            ),
            identity_reason=Subquery(identity.values("reason")[:1], output_field=CharField()),
            identity_expires_on=Subquery(
                identity.values("expires_on")[:1], output_field=DateField()
            ),
        )
        .annotate(
            identification=Case(
                When(
                    identity_kind=IdentityKind.NOT_STAFF, then=Value(Identification.NOT_STAFF.value)
                ),
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
    )
    staff = StaffMember.objects.filter(pk=OuterRef("staff_id"))
    return queryset.annotate(
        staff_name=Subquery(staff.values("name")[:1], output_field=CharField()),
        staff_status=Subquery(staff.values("status")[:1], output_field=CharField()),
        staff_org_role_id=Subquery(staff.values("org_role_id")[:1], output_field=IntegerField()),
        staff_org_role_name=Subquery(staff.values("org_role__name")[:1], output_field=CharField()),
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


def manual_accounts_of_staff(
    *, staff_member: StaffMember, on: date | None = None
) -> QuerySet[ManualAccount]:
    """Every account, in every system kept by hand, that belongs to the staff member, with its
    identification (one query whatever the number of systems). Only the accounts that can be
    theirs are judged: those with one of their emails, or mapped to them by hand."""
    mapped_to_them = AccountIdentity.objects.filter(
        system_id=OuterRef("system_id"),
        account_key=OuterRef("email"),
        kind=IdentityKind.MAPPED,
        staff_member=staff_member,
    )
    their_alternate_emails = StaffAlternateEmail.objects.filter(staff_member=staff_member).values(
        "email"
    )
    candidates = ManualAccount.objects.filter(
        Q(email=staff_member.email)
        | Q(email__in=their_alternate_emails)
        | Q(Exists(mapped_to_them)),
        organization_id=staff_member.organization_id,
    )
    return (
        _annotate_identity(
            candidates,
            organization_id=staff_member.organization_id,
            system_id=OuterRef("system_id"),
            key_field="email",
            on=on,
        )
        .filter(staff_id=staff_member.pk)
        .select_related("system")
        .order_by("system__name", "email", "pk")
    )


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


class StaffDirectory:
    """The organisation's staff emails, alternate emails and facts (two queries), shared by
    the identity indexes of every system of one evaluation."""

    def __init__(self, *, organization_id: int) -> None:
        self.staff_by_email: dict[str, int] = {}
        self.staff: dict[int, tuple[str, int | None, str]] = {}
        for pk, email, status, org_role_id, org_role_name in (
            StaffMember.objects.filter(organization_id=organization_id)
            .order_by()  # a dictionary: no need to sort 10,000 names by the model's ordering
            .values_list("pk", "email", "status", "org_role_id", "org_role__name")
        ):
            self.staff_by_email[email] = pk
            self.staff[pk] = (status, org_role_id, org_role_name or "")
        for email, staff_id in StaffAlternateEmail.objects.filter(
            organization_id=organization_id
        ).values_list("email", "staff_member_id"):
            self.staff_by_email.setdefault(email, staff_id)


def _live_identities(*, system_ids, on: date):
    return AccountIdentity.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on), system_id__in=system_ids
    ).values_list("system_id", "account_key", "kind", "staff_member_id")


class IdentityIndex:
    """Who each account belongs to, for work over every account at once (checks, summary,
    reviews, exports): three small queries load the decisions by hand, the staff emails and
    alternate emails, and the staff facts; each account is then resolved with
    `rules.identification_of` by dictionary lookups. The pages' filters use the same rule in SQL
    (`annotate_identity`)."""

    def __init__(
        self,
        *,
        system: CriticalSystem,
        on: date | None = None,
        directory: StaffDirectory | None = None,
        identities: dict[str, tuple[str, int | None]] | None = None,
    ) -> None:
        on = on or timezone.now().date()
        if identities is None:
            identities = {
                key: (kind, staff_id)
                for _, key, kind, staff_id in _live_identities(system_ids=[system.pk], on=on)
            }
        self.identities = identities
        directory = directory or StaffDirectory(organization_id=system.organization_id)
        self.staff_by_email = directory.staff_by_email
        self.staff = directory.staff

    def identify(self, *, key: str, email: str) -> tuple[Identification, int | None]:
        kind, staff_id = self.identities.get(key, (None, None))
        return identification_of(
            identity_kind=kind,
            identity_staff_id=staff_id,
            auto_staff_id=self.staff_by_email.get(email) if email else None,
        )

    def staff_facts(self, staff_id: int | None) -> tuple[str, int | None, str]:
        """(status, org role id, org role name) of a staff member; blanks for none."""
        return self.staff.get(staff_id, ("", None, "")) if staff_id else ("", None, "")


def identity_indexes(*, systems: list[CriticalSystem], on: date) -> dict[int, IdentityIndex]:
    """{system id: its index} for several systems of one organisation: three queries in all."""
    if not systems:
        return {}
    directory = StaffDirectory(organization_id=systems[0].organization_id)
    identities: dict[int, dict[str, tuple[str, int | None]]] = {s.pk: {} for s in systems}
    for system_id, key, kind, staff_id in _live_identities(system_ids=list(identities), on=on):
        identities[system_id][key] = (kind, staff_id)
    return {
        system.pk: IdentityIndex(
            system=system, on=on, directory=directory, identities=identities[system.pk]
        )
        for system in systems
    }


def manual_account_rows(*, systems: list[CriticalSystem], entity_ids=None):
    """Plain rows of the accounts of systems kept by hand (all live), by ascending primary key
    (streamed)."""
    queryset = ManualAccount.objects.filter(system__in=[system.pk for system in systems])
    if entity_ids is not None:
        queryset = queryset.filter(pk__in=entity_ids)
    return (
        queryset.order_by("pk")
        .values_list("pk", "system_id", "name", "email", "role", named=True)
        .iterator(chunk_size=2000)
    )


def live_pagerduty_rows(*, system: CriticalSystem, entity_ids=None):
    """Plain rows of the live PagerDuty accounts, by ascending primary key (streamed)."""
    queryset = RemoteAccount.objects.filter(
        organization_id=system.organization_id,
        connection__in=access_connections(organization=system.organization),
        removed_at__isnull=True,
    )
    if entity_ids is not None:
        queryset = queryset.filter(pk__in=entity_ids)
    return (
        queryset.order_by("pk")
        .values_list("pk", "external_id", "name", "email", "role", named=True)
        .iterator(chunk_size=2000)
    )


@dataclass
class ResolvedAccount:
    """An account with who it belongs to (from `IdentityIndex`), for whole-system work."""

    pk: int
    key: str
    name: str
    email: str
    role: str
    license_name: str
    last_sign_in_at: datetime | None
    removed_at: datetime | None
    removed_at_exact: datetime | None
    identification: str
    staff_id: int | None
    staff_name: str
    staff_status: str
    staff_org_role_id: int | None
    staff_org_role_name: str


def resolved_accounts(
    *, system: CriticalSystem, live_only: bool = True, on: date | None = None
) -> Iterator[ResolvedAccount]:
    """Every account of the system resolved in Python: a bounded number of queries whatever
    the number of accounts (used by the summary, the offboarding tab, reviews, evidence)."""
    index = IdentityIndex(system=system, on=on)
    names = dict(
        StaffMember.objects.filter(organization_id=system.organization_id).values_list("pk", "name")
    )
    if system.is_pagerduty:
        queryset = RemoteAccount.objects.filter(
            organization_id=system.organization_id,
            connection__in=access_connections(organization=system.organization),
        )
        if live_only:
            queryset = queryset.filter(removed_at__isnull=True)
        rows = queryset.order_by("pk").values_list(
            "pk", "external_id", "name", "email", "role", "license__name", "last_sign_in_at",
            "removed_at", "removed_at_exact",
        )  # fmt: skip
    else:
        rows = (
            (pk, email, name, email, role, "", None, None, None)
            for pk, email, name, role in ManualAccount.objects.filter(system=system)
            .order_by("pk")
            .values_list("pk", "email", "name", "role")
        )
    for pk, key, name, email, role, license_name, signed_in, removed, removed_exact in rows:
        identification, staff_id = index.identify(key=key, email=email)
        status, org_role_id, org_role_name = index.staff_facts(staff_id)
        yield ResolvedAccount(
            pk, key, name, email, role, license_name or "", signed_in, removed, removed_exact,
            identification, staff_id, names.get(staff_id, "") if staff_id else "", status,
            org_role_id, org_role_name,
        )  # fmt: skip
