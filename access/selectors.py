"""Reads for the access pages, one function per tab; each runs a bounded number of queries
whatever the number of accounts (identification is SQL, see `access.accounts`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Case, CharField, Count, Exists, OuterRef, Q, QuerySet, Value, When

from access.account_facts import (
    AccountList,
    IdentityGroup,
    account_ids_of_staff,
    identity_counts,
)
from access.accounts import access_connections, manual_accounts_of_staff, system_accounts
from access.checks import (
    ACCOUNT,
    MANUAL_SYSTEM_CHECKS,
    PAGERDUTY_CHECKS,
    PERIODIC_REVIEW,
    STAFF,
    SYSTEM,
    SYSTEM_ACCOUNT,
    allowances_of,
    pagerduty_system_lookup,
)
from access.models import (
    AccessReview,
    AccessReviewItem,
    CriticalSystem,
    ManualAccount,
    ReviewChange,
    ValidAccessMode,
)
from access.rules import (
    Identification,
    Verdict,
    access_validity,
    days_overdue,
    revoke_deadline,
    time_to_revoke,
)
from checks.models import CheckResult, CheckStatus
from checks.selectors import check_summary_map
from integrations.models import Connection, Purpose, RemoteLicense, SyncRun
from integrations.pagerduty.roles import role_label
from tenants.models import Organization, StaffMember, StaffStatus


def critical_system_list(*, organization: Organization) -> QuerySet[CriticalSystem]:
    return CriticalSystem.objects.filter(organization=organization).select_related(
        "owner", "review_delegate"
    )


@dataclass
class AccessPolicy:
    role_based: bool
    allowances: dict[int, str]

    def verdict(self, account: Any, system: CriticalSystem) -> Verdict | None:
        """The validity of an account of an active staff member; None when out of scope."""
        if account.identification not in (Identification.AUTO, Identification.MANUAL):
            return None
        if account.staff_status != StaffStatus.ACTIVE:
            return None
        return access_validity(
            role_based=self.role_based,
            allowances=self.allowances,
            org_role_id=account.staff_org_role_id,
            org_role_name=account.staff_org_role_name or "",
            account_role=account.role if system.is_pagerduty else "",
        )


def access_policy(system: CriticalSystem) -> AccessPolicy:
    role_based = system.valid_access_mode == ValidAccessMode.ROLE_BASED
    return AccessPolicy(role_based, allowances_of(system) if role_based else {})


def _with_check_status(queryset: QuerySet, system: CriticalSystem) -> QuerySet:
    return _with_check_status_of(
        queryset,
        organization_id=system.organization_id,
        entity_type=ACCOUNT if system.is_pagerduty else SYSTEM_ACCOUNT,
    )


def _with_check_status_of(
    queryset: QuerySet, *, organization_id: int, entity_type: str
) -> QuerySet:
    """Add `check_status`: the worst stored result of each account's checks."""
    results = CheckResult.objects.filter(
        organization_id=organization_id, entity_type=entity_type, entity_id=OuterRef("pk")
    )
    return queryset.annotate(
        check_status=Case(
            When(Exists(results.filter(status=CheckStatus.FAILING)), then=Value("failing")),
            When(Exists(results.filter(status=CheckStatus.DUE)), then=Value("due")),
            When(Exists(results.filter(status=CheckStatus.PASSING)), then=Value("passing")),
            default=Value("not_evaluated"),
            output_field=CharField(),
        )
    )


def license_choices(system: CriticalSystem) -> list[tuple[str, str]]:
    if not system.is_pagerduty:
        return []
    return [
        (str(pk), name)
        for pk, name in RemoteLicense.objects.filter(
            organization_id=system.organization_id,
            connection__in=access_connections(organization=system.organization),
        ).values_list("pk", "name")
    ]


def staff_access_accounts(*, system: CriticalSystem, filters: dict[str, Any]) -> AccountList:
    """The Staff access tab's accounts, filtered and sorted, as ids (one query per page and
    one count); `staff_access_page` annotates a page's accounts."""
    return AccountList(system=system, filters=filters)


def staff_access_page(*, system: CriticalSystem, account_ids: list[int]) -> list[Any]:
    """One page of the Staff access tab: the accounts of `account_ids` with their identity
    and check status, in that order (one query whatever the system's size)."""
    accounts = _with_check_status(system_accounts(system=system), system).filter(pk__in=account_ids)
    by_id = {account.pk: account for account in accounts}
    return [by_id[pk] for pk in account_ids if pk in by_id]


@dataclass
class AccountRow:
    account: Any
    identification: Identification
    verdict: Verdict | None
    system: CriticalSystem | None = None  # set where rows of several systems are listed

    @property
    def role_label(self) -> str:
        return (
            role_label(self.account.role)
            if hasattr(self.account, "external_id")
            else self.account.role
        )


def account_rows(*, system: CriticalSystem, accounts) -> list[AccountRow]:
    policy = access_policy(system)
    return [
        AccountRow(account, Identification(account.identification), policy.verdict(account, system))
        for account in accounts
    ]


@dataclass
class StaffAccess:
    """A staff member's accounts in every critical system, PagerDuty's first, then the systems
    kept by hand by name; `pagerduty_system` is None while PagerDuty is not a critical system."""

    pagerduty_system: CriticalSystem | None
    rows: list[AccountRow]
    has_systems: bool


def staff_access(
    *, organization: Organization, staff_member: StaffMember, on: date | None = None
) -> StaffAccess:
    """The staff page's accounts, each with its system, identification and check status, in a
    bounded number of queries whatever the number of systems and accounts: PagerDuty's by the
    identity joins (`account_ids_of_staff`), every system kept by hand's in one query."""
    rows: list[AccountRow] = []
    system = pagerduty_system_lookup(organization)
    if system is not None:
        system.organization = organization  # read again by the accounts' connections
        ids = account_ids_of_staff(
            system=system, staff_ids=[staff_member.pk], live_only=False, on=on
        )
        accounts = _with_check_status(
            system_accounts(system=system, live_only=False, on=on), system
        ).filter(pk__in=ids)
        for row in account_rows(system=system, accounts=accounts.order_by("email", "pk")):
            row.system = system
            rows.append(row)
    manual = _with_check_status_of(
        manual_accounts_of_staff(staff_member=staff_member, on=on),
        organization_id=organization.pk,
        entity_type=SYSTEM_ACCOUNT,
    )
    rows.extend(
        AccountRow(account, Identification(account.identification), None, account.system)
        for account in manual
    )
    has_systems = (
        system is not None
        or bool(rows)
        or CriticalSystem.objects.filter(organization=organization).exists()
    )
    return StaffAccess(pagerduty_system=system, rows=rows, has_systems=has_systems)


@dataclass
class SystemSummary:
    accounts: int
    identified: int
    not_identified: int
    not_staff: int
    invalid: int
    offboarded_with_access: int
    last_sync: SyncRun | None


def summary_counts(
    system: CriticalSystem, groups: list[IdentityGroup], policy: AccessPolicy
) -> dict[str, int]:
    """The Summary tab's counts from `identity_counts` groups: the valid-access rule is
    applied once per group of alike accounts (the tab and the API)."""
    counts: dict[str, int] = defaultdict(int)
    offboarded_staff: set[int] = set()
    for group in groups:
        counts["accounts"] += group.accounts
        counts[group.identification] += group.accounts
        offboarded_staff.update(group.offboarded_staff_ids)
        verdict = policy.verdict(group, system)
        if verdict is not None and verdict.status == CheckStatus.FAILING:
            counts["invalid"] += group.accounts
    return {
        "accounts": counts["accounts"],
        "identified": counts[Identification.AUTO] + counts[Identification.MANUAL],
        "not_identified": counts[Identification.NOT_IDENTIFIED],
        "not_staff": counts[Identification.NOT_STAFF],
        "invalid": counts["invalid"],
        "offboarded_with_access": len(offboarded_staff),
    }


def system_summary(*, system: CriticalSystem) -> SystemSummary:
    """Counts of the Summary tab from one aggregate query (plus the last sync)."""
    counts = summary_counts(system, identity_counts(system=system), access_policy(system))
    last_sync = None
    if system.is_pagerduty:
        last_sync = (
            SyncRun.objects.filter(
                organization_id=system.organization_id,
                connection__in=access_connections(organization=system.organization),
            )
            .order_by("-started_at")
            .first()
        )
    return SystemSummary(**counts, last_sync=last_sync)


@dataclass
class SystemCheckCounts:
    """One check's status and counts over one system's entities (a Summary tab row)."""

    status: str
    failing_count: int
    due_count: int
    passing_count: int
    detail: str = ""


def _system_account_counts(
    *, system: CriticalSystem, summaries: dict[str, Any]
) -> dict[str, SystemCheckCounts]:
    """The manual-system checks counted over this system's accounts only (one query): the
    checks judge every system kept by hand at once, the tab shows this one's share."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for code, status, number in (
        CheckResult.objects.filter(
            organization_id=system.organization_id,
            entity_type=SYSTEM_ACCOUNT,
            check_code__in=[check.code for check in MANUAL_SYSTEM_CHECKS],
            entity_id__in=ManualAccount.objects.filter(system=system).values("pk"),
        )
        .values_list("check_code", "status")
        .annotate(number=Count("pk"))
    ):
        counts[code][status] = number
    rows = {}
    for check in MANUAL_SYSTEM_CHECKS:
        mine = counts.get(check.code, {})
        summary = summaries.get(check.code)
        if summary is None or summary.status == CheckStatus.NOT_APPLICABLE:
            status = summary.status if summary else "not_evaluated"
        elif mine.get(CheckStatus.FAILING):
            status = CheckStatus.FAILING
        elif mine.get(CheckStatus.DUE):
            status = CheckStatus.DUE
        else:
            status = CheckStatus.PASSING
        rows[check.code] = SystemCheckCounts(
            status=status,
            failing_count=mine.get(CheckStatus.FAILING, 0),
            due_count=mine.get(CheckStatus.DUE, 0),
            passing_count=mine.get(CheckStatus.PASSING, 0),
            detail=summary.detail if summary else "",
        )
    return rows


def system_checks(*, system: CriticalSystem) -> list[tuple[Any, Any, Any]]:
    """(check, its counts, this system's result for the review check) for the Summary tab.
    PagerDuty shows its checks' counts; a system kept by hand its share of the manual-system
    checks (its own accounts)."""
    summaries = check_summary_map(organization=system.organization)
    review_result = CheckResult.objects.filter(
        organization_id=system.organization_id,
        check_code=PERIODIC_REVIEW.code,
        entity_type=SYSTEM,
        entity_id=system.pk,
    ).first()
    if system.is_pagerduty:
        rows = [(check, summaries.get(check.code), None) for check in PAGERDUTY_CHECKS]
    else:
        counts = _system_account_counts(system=system, summaries=summaries)
        rows = [(check, counts[check.code], None) for check in MANUAL_SYSTEM_CHECKS]
    return [*rows, (PERIODIC_REVIEW, summaries.get(PERIODIC_REVIEW.code), review_result)]


@dataclass
class OffboardedRow:
    staff_member: StaffMember
    deprovisioning: str
    live_accounts: list[Any]
    removed_accounts: list[Any]
    time_to_revoke: str
    days_overdue: int | None
    check_result: CheckResult | None


def offboarded_staff(*, organization: Organization) -> QuerySet[StaffMember]:
    return (
        StaffMember.objects.filter(organization=organization, status=StaffStatus.OFFBOARDED)
        .select_related("org_role")
        .order_by("-last_working_day", "name", "pk")
    )


def offboarded_rows(
    *, system: CriticalSystem, staff_members: list[StaffMember], now: datetime
) -> list[OffboardedRow]:
    """Deprovisioning of one page of leavers: Revoked (every account gone), Active (a live
    account), Not found (no account mapped to them); time to revoke from the last working day."""
    ids = [member.pk for member in staff_members]
    accounts: dict[int, list[Any]] = defaultdict(list)
    mine = account_ids_of_staff(system=system, staff_ids=ids, live_only=False, on=now.date())
    for account in system_accounts(system=system, live_only=False, on=now.date()).filter(
        pk__in=mine
    ):
        accounts[account.staff_id].append(account)
    results = {
        result.entity_id: result
        for result in CheckResult.objects.filter(
            organization_id=system.organization_id, entity_type=STAFF, entity_id__in=ids
        )
    }
    rows = []
    for member in staff_members:
        mine = accounts.get(member.pk, [])
        live = [account for account in mine if getattr(account, "removed_at", None) is None]
        removed = [account for account in mine if getattr(account, "removed_at", None) is not None]
        status = "Active" if live else ("Revoked" if removed else "Not found")
        revoke_text, overdue = "", None
        if member.last_working_day:
            latest = max(
                removed,
                key=lambda account: account.removed_at_exact or account.removed_at,
                default=None,
            )
            if latest is not None and not live:
                duration = time_to_revoke(
                    last_working_day=member.last_working_day,
                    removed_at=latest.removed_at,
                    removed_at_exact=latest.removed_at_exact,
                )
                revoke_text = duration.text if duration else ""
            if live:
                deadline = revoke_deadline(
                    last_working_day=member.last_working_day, grace_days=system.grace_days
                )
                overdue = days_overdue(deadline=deadline, now=now) if now >= deadline else 0
        rows.append(
            OffboardedRow(
                member, status, live, removed, revoke_text, overdue, results.get(member.pk)
            )
        )
    return rows


def review_list(*, system: CriticalSystem) -> QuerySet[AccessReview]:
    return system.reviews.select_related("reviewer", "started_by").annotate(
        account_count=Count("items", filter=~Q(items__change=ReviewChange.REMOVED)),
        decided_count=Count(
            "items", filter=~Q(items__decision="") & ~Q(items__change=ReviewChange.REMOVED)
        ),
        open_follow_ups=Count("items", filter=Q(items__follow_up="open")),
    )


def review_items(*, review: AccessReview) -> QuerySet[AccessReviewItem]:
    return review.items.select_related("decided_by", "staff_member").order_by(
        "change", "account_name", "email", "pk"
    )


def review_counts(*, review: AccessReview) -> dict[str, int]:
    return review.items.aggregate(
        total=Count("pk", filter=~Q(change=ReviewChange.REMOVED)),
        decided=Count("pk", filter=~Q(decision="") & ~Q(change=ReviewChange.REMOVED)),
        new=Count("pk", filter=Q(change=ReviewChange.NEW)),
        removed=Count("pk", filter=Q(change=ReviewChange.REMOVED)),
        follow_ups_open=Count("pk", filter=Q(follow_up="open")),
        follow_ups_done=Count("pk", filter=Q(follow_up="done")),
    )


def today_of(now: datetime) -> date:
    return now.date()


def pagerduty_accounts_empty_reason(*, organization: Organization) -> tuple[str, str]:
    """(title, hint) saying truly why a PagerDuty critical system has no accounts to show."""
    connections = list(Connection.objects.filter(organization=organization))
    serving = [c for c in connections if c.serves(Purpose.ACCESS_MANAGEMENT)]
    if not connections:
        return (
            "PagerDuty is not connected",
            "Connect PagerDuty in Settings > Integrations with access management ticked; its "
            "accounts appear after the first sync.",
        )
    if not serving:
        if any(c.has_purpose(Purpose.ACCESS_MANAGEMENT) for c in connections):
            return (
                "The PagerDuty connection was revoked",
                "Connect PagerDuty again in Settings > Integrations to list its accounts.",
            )
        return (
            "PagerDuty is not used for access management",
            "The connection is used for other purposes only: tick access management on it in "
            "Settings > Integrations.",
        )
    if all(c.last_synced_at is None for c in serving):
        return (
            "The first sync has not finished yet",
            "Accounts appear when it completes; the connection's page shows its progress.",
        )
    return (
        "PagerDuty has no users",
        "The last sync found no users in the PagerDuty account.",
    )
