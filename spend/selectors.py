"""Reads for the Spend pages and commands. Everything aggregates in SQL over synced records and
rollups; nothing here calls PagerDuty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from access.accounts import (
    IdentityIndex,
    StaffDirectory,
    annotate_email_match,
    annotate_identity,
)
from access.models import CriticalSystem, SystemKind
from integrations.models import RemoteAccount, RemoteIncidentStatusChange
from integrations.pagerduty.sync import mapping
from integrations.pagerduty.sync.steps.usage import account_tier_expressions, seats_by_tier
from spend import rules
from spend.models import InsightFinding, SaasService, ServiceTier, SpendSettings, UsageMonth
from tenants.models import Organization, StaffMember

RESPONSE_KINDS = (mapping.ACKNOWLEDGE_KIND, mapping.RESOLVE_KIND)


def inactive_days() -> int:
    return int(settings.INACTIVE_DAYS)


def spend_currency(*, organization: Organization) -> str:
    currency = (
        SpendSettings.objects.filter(organization=organization)
        .values_list("currency", flat=True)
        .first()
    )
    return currency or SpendSettings._meta.get_field("currency").default


def service_list(*, organization: Organization) -> QuerySet[SaasService]:
    return SaasService.objects.filter(organization=organization).select_related("connection")


# -- tiers and spend ---------------------------------------------------------------------------


def service_tier_figures(*, service: SaasService) -> list[tuple[ServiceTier, rules.TierFigures]]:
    """Each tier with its seats in use (live PagerDuty accounts, or the figure kept by hand)."""
    tiers = list(service.tiers.all())
    used: dict[str, int] = {}
    if service.is_pagerduty and service.connection_id:
        used = {
            name: seats
            for (name, _), seats in seats_by_tier(connection_id=service.connection_id).items()
        }
    figures = []
    for tier in tiers:
        seats_used = (
            used.get(tier.name, 0) if service.is_pagerduty else (tier.seats_used_manual or 0)
        )
        figures.append(
            (
                tier,
                rules.TierFigures(
                    name=tier.name,
                    role_group=tier.role_group,
                    seats_used=seats_used,
                    seats_bought=tier.seats_bought,
                    price_per_seat_cents=tier.price_per_seat_cents,
                ),
            )
        )
    return figures


# -- members -----------------------------------------------------------------------------------


STAFF_MATCH_FIELDS = ("pk", "name", "status")


def _pagerduty_critical_system(organization: Organization) -> CriticalSystem | None:
    return CriticalSystem.objects.filter(
        organization=organization, kind=SystemKind.PAGERDUTY
    ).first()


def member_staff_match(
    *,
    organization: Organization,
    accounts: QuerySet,
    fields: tuple[str, ...] = STAFF_MATCH_FIELDS,
) -> QuerySet:
    """Annotate accounts with the staff member they belong to (``staff_pk``, ``staff_name``,
    ``staff_status``), in SQL.

    When PagerDuty is a critical system, access management's identification decides (mappings
    by hand and "not a staff account" marks win over the email match); otherwise the account's
    email is matched against staff emails and alternate emails (all stored lower case).
    """
    system = _pagerduty_critical_system(organization)
    if system is not None:
        return annotate_identity(accounts, system=system, key_field="external_id").annotate(
            staff_pk=F("staff_id")
        )
    accounts = annotate_email_match(accounts, organization_id=organization.pk)
    staff = StaffMember.objects.filter(pk=OuterRef("auto_staff_id")).order_by()
    return accounts.annotate(
        **{f"staff_{field}": Subquery(staff.values(field)[:1]) for field in fields}
    )


def member_staff_statuses(*, organization: Organization) -> Callable[[str, str], str | None]:
    """``status_of(external_id, email)``: the same match as ``member_staff_match``, loaded once
    (three small queries) for rules that look at every account."""
    system = _pagerduty_critical_system(organization)
    if system is not None:
        index = IdentityIndex(system=system)

        def status_of(external_id: str, email: str) -> str | None:
            _, staff_id = index.identify(key=external_id, email=email)
            return index.staff_facts(staff_id)[0] or None

        return status_of
    directory = StaffDirectory(organization_id=organization.pk)

    def status_by_email(external_id: str, email: str) -> str | None:
        staff_id = directory.staff_by_email.get(email)
        return directory.staff[staff_id][0] if staff_id in directory.staff else None

    return status_by_email


@dataclass(frozen=True)
class MemberConditions:
    """The rules' conditions as SQL, for filters and counts over thousands of accounts."""

    now: datetime
    inactive_days: int

    @property
    def live(self) -> Q:
        return Q(removed_at__isnull=True)

    @property
    def on_call(self) -> Q:
        return Q(on_schedule=True) | Q(on_escalation_policy=True)

    @property
    def signed_in_recently(self) -> Q:
        return Q(last_sign_in_at__gte=self.now - timedelta(days=self.inactive_days))

    @property
    def invited(self) -> Q:
        return self.live & Q(invitation_pending=True)

    @property
    def inactive(self) -> Q:
        return self.live & Q(invitation_pending=False) & ~self.signed_in_recently & ~self.on_call

    @property
    def active(self) -> Q:
        return self.live & Q(invitation_pending=False) & (self.signed_in_recently | self.on_call)

    @property
    def removed(self) -> Q:
        return Q(removed_at__isnull=False)

    def status_expression(self) -> Case:
        return Case(
            When(self.removed, then=Value("removed")),
            When(self.invited, then=Value("invited")),
            When(self.inactive, then=Value("inactive")),
            default=Value("active"),
            output_field=CharField(),
        )


def member_conditions(*, now: datetime | None = None) -> MemberConditions:
    return MemberConditions(now=now or timezone.now(), inactive_days=inactive_days())


def member_counts(*, service: SaasService, now: datetime | None = None) -> dict[str, int]:
    """total (live accounts), active, inactive, invited, removed, on_call: one query."""
    keys = ("total", "active", "inactive", "invited", "removed", "on_call")
    if not (service.is_pagerduty and service.connection_id):
        return dict.fromkeys(keys, 0)
    conditions = member_conditions(now=now)
    return RemoteAccount.objects.filter(connection_id=service.connection_id).aggregate(
        total=Count("pk", filter=conditions.live),
        active=Count("pk", filter=conditions.active),
        inactive=Count("pk", filter=conditions.inactive),
        invited=Count("pk", filter=conditions.invited),
        removed=Count("pk", filter=conditions.removed),
        on_call=Count("pk", filter=conditions.live & conditions.on_call),
    )


MEMBER_SORTS = {
    "email": "email",
    "name": "name",
    "role": "role",
    "tier": "tier_name",
    "last_seen": "last_sign_in_at",
    "status": "member_status",
}
MEMBER_STATUSES = ("active", "inactive", "invited", "removed")


def _member_accounts(service: SaasService, conditions: MemberConditions) -> QuerySet:
    """The service's accounts with their tier (a join to the licenses) and status (a CASE)."""
    return RemoteAccount.objects.filter(
        organization_id=service.organization_id, connection_id=service.connection_id
    ).annotate(**account_tier_expressions(), member_status=conditions.status_expression())


def member_order(
    *,
    service: SaasService,
    query: str = "",
    status: str = "",
    tier: str = "",
    on_call: str = "",
    sort: str = "email",
    descending: bool = False,
    now: datetime | None = None,
) -> QuerySet[RemoteAccount]:
    """The service's accounts filtered and sorted in SQL, with tier and status (a join to the
    licenses and a CASE: cheap for every row) but without the staff match.

    Pages OFFSET over this lean query: the staff match's correlated subqueries would otherwise
    run for every skipped row of a deep page. The organisation filter is redundant with the
    connection's but lets the (organization, email) index give the default order."""
    if not (service.is_pagerduty and service.connection_id):
        return RemoteAccount.objects.none()
    conditions = member_conditions(now=now)
    accounts = _member_accounts(service, conditions)
    if query:
        accounts = accounts.filter(Q(email__icontains=query) | Q(name__icontains=query))
    if status in MEMBER_STATUSES:
        accounts = accounts.filter(member_status=status)
    if tier:
        accounts = accounts.filter(tier_name=tier)
    if on_call == "yes":
        accounts = accounts.filter(conditions.on_call)
    elif on_call == "no":
        accounts = accounts.exclude(conditions.on_call)
    field = MEMBER_SORTS.get(sort, "email")
    order = [f"-{field}", "-pk"] if descending else [field, "pk"]
    if field == "last_sign_in_at":
        order = [
            F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_first=True),
            "pk",
        ]
    return accounts.order_by(*order)


def member_list(*, service: SaasService, **filters: Any) -> QuerySet[RemoteAccount]:
    """`member_order` (``filters`` are its keywords: query, status, tier, on_call, sort,
    descending, now) with the staff match, for exports and the API, which read rows in order;
    a page reads `member_page_accounts`."""
    accounts = member_order(service=service, **filters)
    return member_staff_match(organization=service.organization, accounts=accounts)


def member_page_accounts(
    *, service: SaasService, pks: list[int], now: datetime | None = None
) -> list[RemoteAccount]:
    """The accounts of one page (primary keys in page order, from `member_order`) with tier,
    status and staff match: the staff match runs for these rows only."""
    if not pks or not (service.is_pagerduty and service.connection_id):
        return []
    accounts = _member_accounts(service, member_conditions(now=now)).filter(pk__in=pks)
    by_pk = {
        account.pk: account
        for account in member_staff_match(organization=service.organization, accounts=accounts)
    }
    return [by_pk[pk] for pk in pks if pk in by_pk]


def responders_since(*, connection_id: int, since: datetime) -> set[str]:
    """PagerDuty ids of users who acknowledged or resolved an incident since ``since``."""
    return set(
        RemoteIncidentStatusChange.objects.filter(
            connection_id=connection_id, at__gte=since, kind__in=RESPONSE_KINDS
        )
        .exclude(actor_external_id="")
        .order_by()  # the model's ordering would make DISTINCT keep every change
        .values_list("actor_external_id", flat=True)
        .distinct()
    )


def member_facts(*, service: SaasService, now: datetime) -> Iterator[rules.MemberFacts]:
    """What the insight rules need about every live account, streamed in primary-key order
    (`rules.insights_for` reads them once): a bounded number of queries."""
    if not (service.is_pagerduty and service.connection_id):
        return
    responders = responders_since(
        connection_id=service.connection_id,
        since=now - timedelta(days=rules.RESPONSE_WINDOW_DAYS),
    )
    accounts = RemoteAccount.objects.filter(
        connection_id=service.connection_id, removed_at__isnull=True
    ).annotate(**account_tier_expressions())
    staff_status_of = member_staff_statuses(organization=service.organization)
    rows = accounts.order_by("pk").values_list(
        "pk",
        "external_id",
        "email",
        "tier_name",
        "tier_role_group",
        "invitation_pending",
        "last_sign_in_at",
        "on_schedule",
        "on_escalation_policy",
    )
    for (
        pk,
        external_id,
        email,
        tier_name,
        role_group,
        invitation_pending,
        last_sign_in_at,
        on_schedule,
        on_escalation_policy,
    ) in rows:
        yield rules.MemberFacts(
            account_id=pk,
            tier_name=tier_name,
            role_group=role_group,
            invitation_pending=invitation_pending,
            last_sign_in_at=last_sign_in_at,
            on_schedule=on_schedule,
            on_escalation_policy=on_escalation_policy,
            staff_status=staff_status_of(external_id, email),
            responded_recently=external_id in responders,
        )


# -- insights ----------------------------------------------------------------------------------


@dataclass
class ServiceInsights:
    insights: list[rules.Insight]
    total_potential_saving_cents: int


def service_insights(*, service: SaasService, now: datetime | None = None) -> ServiceInsights:
    now = now or timezone.now()
    tiers = [figures for _, figures in service_tier_figures(service=service)]
    insights = rules.insights_for(
        member_facts(service=service, now=now), tiers, now=now, inactive_days=inactive_days()
    )
    return ServiceInsights(insights, rules.total_potential_saving_cents(insights))


def accounts_by_pk(*, service: SaasService, pks: list[int]) -> dict[int, Any]:
    return {account.pk: account for account in member_page_accounts(service=service, pks=pks)}


def realized_savings(*, service: SaasService) -> list[tuple[date, int, int]]:
    """Per month: (month, seats that went away after an insight named them, monthly saving)."""
    rows = (
        InsightFinding.objects.filter(service=service, realized_at__isnull=False)
        .annotate(month=TruncMonth("realized_at"))
        .values("month", "account_id")
        .annotate(saving=Max("monthly_saving_cents"))
        .order_by("month")
    )
    per_month: dict[date, list[int]] = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        entry = per_month.setdefault(month, [0, 0])
        entry[0] += 1
        entry[1] += row["saving"] or 0
    return [(month, seats, saving) for month, (seats, saving) in sorted(per_month.items())]


# -- usage -------------------------------------------------------------------------------------


def usage_months(*, service: SaasService, months: int | None = None) -> list[UsageMonth]:
    """The stored monthly rollups, oldest first (the last ``months`` when given)."""
    rows = UsageMonth.objects.filter(service=service).order_by("-month")
    if months is not None:
        rows = rows[:months]
    return list(reversed(list(rows)))
