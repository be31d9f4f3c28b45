"""The access checks, registered with the engine in `AccessConfig.ready()`: three over
PagerDuty (offboarding, identification, valid access), identification and valid access again
over the accounts of the systems kept by hand (a check has one entity kind: their accounts are
`system_account`s, not PagerDuty `account`s; the same rule functions judge both), and the
periodic review of every critical system.

Each streams one annotated query (identification is computed in SQL, see `access.accounts`)
and judges rows with the pure rules of `access.rules`, so the checks, the pages and the CSVs
agree by construction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from access.accounts import (
    IdentityIndex,
    identity_indexes,
    live_pagerduty_rows,
    manual_account_rows,
)
from access.models import AccessReview, CriticalSystem, RoleAllowance, SystemKind, ValidAccessMode
from access.rules import (
    Identification,
    access_validity,
    offboarding_state,
    review_state,
)
from checks.base import Applicability, Check, EntityOutcome, EvaluationContext
from checks.models import CheckStatus
from integrations.models import ConnectionStatus, Purpose
from tenants.models import StaffMember, StaffStatus

ACCOUNT = "account"
STAFF = "staff"
SYSTEM = "system"
SYSTEM_ACCOUNT = "system_account"
STREAM_CHUNK_SIZE = 2000
DETAIL_MAX_LENGTH = 500
LABEL_MAX_LENGTH = 300


def pagerduty_system(context: EvaluationContext) -> CriticalSystem | None:
    return context.cached(
        "access_pagerduty_system",
        lambda: CriticalSystem.objects.filter(
            organization=context.organization, kind=SystemKind.PAGERDUTY
        ).first(),
    )


def pagerduty_system_lookup(organization) -> CriticalSystem | None:
    return CriticalSystem.objects.filter(
        organization=organization, kind=SystemKind.PAGERDUTY
    ).first()


def manual_systems(context: EvaluationContext) -> list[CriticalSystem]:
    """The organisation's critical systems kept by hand, by ascending id."""
    return context.cached(
        "access_manual_systems",
        lambda: list(
            CriticalSystem.objects.filter(
                organization=context.organization, kind=SystemKind.MANUAL
            ).order_by("pk")
        ),
    )


def allowances_of(system: CriticalSystem) -> dict[int, str]:
    """{org role id: highest PagerDuty role ("" for any)} of a role-based system."""
    return dict(RoleAllowance.objects.filter(system=system).values_list("org_role_id", "max_role"))


def allowances_of_systems(systems: list[CriticalSystem]) -> dict[int, dict[int, str]]:
    """{system id: `allowances_of` it} of several systems in one query; empty for a system
    that is not role-based (its allowances do not apply)."""
    role_based = [s.pk for s in systems if s.valid_access_mode == ValidAccessMode.ROLE_BASED]
    allowances: dict[int, dict[int, str]] = {system.pk: {} for system in systems}
    if role_based:
        for system_id, org_role_id, max_role in (
            RoleAllowance.objects.filter(system__in=role_based)
            .order_by()
            .values_list("system_id", "org_role_id", "max_role")
        ):
            allowances[system_id][org_role_id] = max_role
    return allowances


def _connection_hint(context: EvaluationContext) -> str:
    if not context.connections:
        return "Connect PagerDuty for access management in Settings > Integrations."
    if all(connection.status == ConnectionStatus.REVOKED for connection in context.connections):
        return (
            "The PagerDuty connection was revoked; connect PagerDuty again for access "
            "management in Settings > Integrations."
        )
    return (
        "PagerDuty is connected without access management; turn it on for the connection in "
        "Settings > Integrations."
    )


def pagerduty_access_checks_apply(context: EvaluationContext) -> Applicability:
    """PagerDuty's account checks need the PagerDuty data and PagerDuty as a critical system."""
    if not context.connections_for(Purpose.ACCESS_MANAGEMENT):
        return False, _connection_hint(context)
    if pagerduty_system(context) is None:
        return False, (
            "Add PagerDuty as a critical system in Data Library > Access to check who holds an "
            "account."
        )
    return True, ""


def manual_access_checks_apply(context: EvaluationContext) -> Applicability:
    """The account checks of systems kept by hand need at least one such critical system."""
    if not manual_systems(context):
        return False, (
            "No critical system is kept by hand; add one in Data Library > Access and import its "
            "accounts from a CSV to check who holds an account."
        )
    return True, ""


def review_check_applies(context: EvaluationContext) -> Applicability:
    systems = CriticalSystem.objects.filter(organization=context.organization)
    if not systems.exists():
        return False, "Add a critical system in Data Library > Access to review its access."
    if not systems.exclude(kind=SystemKind.PAGERDUTY).exists() and not context.connections_for(
        Purpose.ACCESS_MANAGEMENT
    ):
        return False, _connection_hint(context)
    return True, ""


@dataclass(frozen=True)
class AccountRow:
    pk: int
    external_id: str
    name: str
    email: str
    role: str
    identification: str
    staff_id: int | None
    staff_status: str
    staff_org_role_id: int | None
    staff_org_role_name: str
    system_id: int | None = None
    system_name: str = ""


def identity_index(context: EvaluationContext, system: CriticalSystem) -> IdentityIndex:
    return context.cached(
        "access_identity_index", lambda: IdentityIndex(system=system, on=context.now.date())
    )


def _accounts(context: EvaluationContext, system: CriticalSystem) -> Iterator[AccountRow]:
    """Live PagerDuty accounts with their identification: one streamed query plus the index."""
    index = identity_index(context, system)
    for row in live_pagerduty_rows(system=system, entity_ids=context.entity_ids):
        identification, staff_id = index.identify(key=row.external_id, email=row.email)
        status, org_role_id, org_role_name = index.staff_facts(staff_id)
        yield AccountRow(
            row.pk,
            row.external_id,
            row.name,
            row.email,
            row.role,
            identification,
            staff_id,
            status,
            org_role_id,
            org_role_name,
        )


def _manual_accounts(
    context: EvaluationContext, systems: list[CriticalSystem]
) -> Iterator[AccountRow]:
    """Accounts of every system kept by hand (all live): one streamed query plus one index
    for all the systems (three queries). Their roles are free text, not PagerDuty roles, so
    they carry none for the validity rule (no PagerDuty role limit applies to them)."""
    indexes = identity_indexes(systems=systems, on=context.now.date())
    names = {system.pk: system.name for system in systems}
    for row in manual_account_rows(systems=systems, entity_ids=context.entity_ids):
        index = indexes[row.system_id]
        identification, staff_id = index.identify(key=row.email, email=row.email)
        status, org_role_id, org_role_name = index.staff_facts(staff_id)
        yield AccountRow(
            row.pk, "", row.name, row.email, "", identification, staff_id, status, org_role_id,
            org_role_name, row.system_id, names[row.system_id],
        )  # fmt: skip


def _account_outcome(row, **fields) -> EntityOutcome:
    extra = {"email": row.email}
    if row.system_name:
        extra["system"] = row.system_name
    return EntityOutcome(
        entity_id=row.pk,
        external_id=row.external_id,
        label=(row.name or row.email)[:LABEL_MAX_LENGTH],
        extra=extra,
        **fields,
    )


def identified_outcomes(rows: Iterator[AccountRow]) -> Iterator[EntityOutcome]:
    """User should be identified: failing while an account is not identified."""
    for row in rows:
        if row.identification == Identification.NOT_IDENTIFIED:
            yield _account_outcome(
                row,
                status=CheckStatus.FAILING,
                detail="No staff member has this email; map the account or mark it",
            )
        else:
            yield _account_outcome(
                row, status=CheckStatus.PASSING, detail=Identification(row.identification).label
            )


def evaluate_account_identified(context: EvaluationContext) -> Iterator[EntityOutcome]:
    return identified_outcomes(_accounts(context, pagerduty_system(context)))


def evaluate_system_account_identified(context: EvaluationContext) -> Iterator[EntityOutcome]:
    return identified_outcomes(_manual_accounts(context, manual_systems(context)))


def valid_access_outcomes(
    rows: Iterator[AccountRow], policies: dict[int | None, tuple[bool, dict[int, str]]]
) -> Iterator[EntityOutcome]:
    """User access should be valid, for accounts of active staff only (marks and leavers are
    the other checks' business). `policies`: {system id: (role based, allowances)}."""
    for row in rows:
        if row.identification not in (Identification.AUTO, Identification.MANUAL):
            continue
        if row.staff_status != StaffStatus.ACTIVE:
            continue
        role_based, allowances = policies[row.system_id]
        verdict = access_validity(
            role_based=role_based,
            allowances=allowances,
            org_role_id=row.staff_org_role_id,
            org_role_name=row.staff_org_role_name or "",
            account_role=row.role,
        )
        yield _account_outcome(
            row, status=verdict.status, detail=verdict.detail[:DETAIL_MAX_LENGTH]
        )


def _policy(system: CriticalSystem, allowances: dict[int, str]) -> tuple[bool, dict[int, str]]:
    role_based = system.valid_access_mode == ValidAccessMode.ROLE_BASED
    return role_based, (allowances if role_based else {})


def evaluate_account_access_valid(context: EvaluationContext) -> Iterator[EntityOutcome]:
    system = pagerduty_system(context)
    policies = {None: _policy(system, allowances_of(system))}
    return valid_access_outcomes(_accounts(context, system), policies)


def evaluate_system_account_access_valid(
    context: EvaluationContext,
) -> Iterator[EntityOutcome]:
    systems = manual_systems(context)
    allowances = allowances_of_systems(systems)
    policies = {system.pk: _policy(system, allowances[system.pk]) for system in systems}
    return valid_access_outcomes(_manual_accounts(context, systems), policies)


def live_accounts_by_staff(context: EvaluationContext, system: CriticalSystem) -> Counter:
    index = identity_index(context, system)
    counts: Counter = Counter()
    for row in live_pagerduty_rows(system=system):
        _, staff_id = index.identify(key=row.external_id, email=row.email)
        if staff_id is not None:
            counts[staff_id] += 1
    return counts


def evaluate_offboarded_access_removed(context: EvaluationContext) -> Iterator[EntityOutcome]:
    """Per offboarded staff member with a last working day: due within the grace period while a
    live account is mapped to them, failing after it, passing once none is."""
    system = pagerduty_system(context)
    live = live_accounts_by_staff(context, system)
    staff = StaffMember.objects.filter(
        organization=context.organization,
        status=StaffStatus.OFFBOARDED,
        last_working_day__isnull=False,
    )
    if context.entity_ids is not None:
        staff = staff.filter(pk__in=context.entity_ids)
    for member in staff.order_by("pk").values_list(
        "pk", "name", "email", "last_working_day", named=True
    ):
        state = offboarding_state(
            last_working_day=member.last_working_day,
            grace_days=system.grace_days,
            live_account_count=live.get(member.pk, 0),
            now=context.now,
        )
        yield EntityOutcome(
            entity_id=member.pk,
            label=member.name[:LABEL_MAX_LENGTH],
            extra={"email": member.email},
            status=state.status,
            deadline=state.deadline if state.status != CheckStatus.PASSING else None,
            detail=state.detail,
        )


def evaluate_periodic_review(context: EvaluationContext) -> Iterator[EntityOutcome]:
    systems = CriticalSystem.objects.filter(organization=context.organization)
    if not context.connections_for(Purpose.ACCESS_MANAGEMENT):
        systems = systems.exclude(kind=SystemKind.PAGERDUTY)
    if context.entity_ids is not None:
        systems = systems.filter(pk__in=context.entity_ids)
    reviews = AccessReview.objects.filter(organization=context.organization).order_by("started_at")
    last_completed: dict[int, object] = {}
    open_due: dict[int, object] = {}
    for system_id, completed_at, due_on in reviews.values_list(
        "system_id", "completed_at", "due_on"
    ):
        if completed_at is not None:
            if completed_at <= context.now:
                last_completed[system_id] = max(
                    completed_at, last_completed.get(system_id, completed_at)
                )
        else:
            open_due[system_id] = due_on
    for system in systems.order_by("pk"):
        verdict = review_state(
            last_completed_at=last_completed.get(system.pk),
            open_review_due_on=open_due.get(system.pk),
            review_period_months=system.review_period_months,
            now=context.now,
        )
        yield EntityOutcome(
            entity_id=system.pk, label=system.name, status=verdict.status, detail=verdict.detail
        )


CATEGORY = "Access management"

OFFBOARDED_ACCESS_REMOVED = Check(
    code="access_offboarded_removed",
    title="PagerDuty access should be removed for offboarded user",
    system="PagerDuty",
    category=CATEGORY,
    entity_type=STAFF,
    description=(
        "Every offboarded staff member whose last working day plus the grace period has passed "
        "must hold no live PagerDuty account. Due within the grace period, failing after it, "
        "passing once the account is removed."
    ),
    how_to_fix=(
        "Remove the person's user in PagerDuty (People > Users); the next sync sees it gone. If "
        "the account was handed to someone else, map it to them on the Staff access tab."
    ),
    applies=pagerduty_access_checks_apply,
    evaluate=evaluate_offboarded_access_removed,
)

ACCOUNT_IDENTIFIED = Check(
    code="access_account_identified",
    title="User should be identified",
    system="PagerDuty",
    category=CATEGORY,
    entity_type=ACCOUNT,
    description=(
        "Every live PagerDuty account belongs to a staff member (matched by email or alternate "
        "email, or mapped by hand) or is marked as not a staff account with a reason."
    ),
    how_to_fix=(
        "On Data Library > Access > PagerDuty > Staff access, map the account to a staff member, "
        "add the address as the person's alternate email, or mark it not a staff account."
    ),
    applies=pagerduty_access_checks_apply,
    evaluate=evaluate_account_identified,
)

ACCOUNT_ACCESS_VALID = Check(
    code="access_account_valid",
    title="User access to critical system should be valid",
    system="PagerDuty",
    category=CATEGORY,
    entity_type=ACCOUNT,
    description=(
        "Every live account of an active staff member is allowed by the valid access: any "
        "active staff member (all staff), or an allowed org role whose PagerDuty role is not "
        "higher than that org role's limit (role-based; higher is excess privilege)."
    ),
    how_to_fix=(
        "Lower the account's role in PagerDuty, or, if the access is right, allow the org role "
        "or raise its limit in Manage > Access monitoring > Configure."
    ),
    applies=pagerduty_access_checks_apply,
    evaluate=evaluate_account_access_valid,
)

PERIODIC_REVIEW = Check(
    code="access_periodic_review",
    title="Periodic review of access to critical systems",
    system="Access",
    category=CATEGORY,
    entity_type=SYSTEM,
    description=(
        "Every critical system has an access review completed within its review period "
        "(12 months unless configured). Due while a review is open and not overdue."
    ),
    how_to_fix="Start an access review on the system's Access reviews tab and decide every account.",
    applies=review_check_applies,
    evaluate=evaluate_periodic_review,
)

MANUAL_SYSTEMS = "Systems kept by hand"

SYSTEM_ACCOUNT_IDENTIFIED = Check(
    code="access_system_account_identified",
    title="User should be identified",
    system=MANUAL_SYSTEMS,
    category=CATEGORY,
    entity_type=SYSTEM_ACCOUNT,
    description=(
        "Every account of a critical system kept by hand belongs to a staff member (matched by "
        "email or alternate email, or mapped by hand) or is marked as not a staff account with "
        "a reason."
    ),
    how_to_fix=(
        "On Data Library > Access > the system > Staff access, map the account to a staff "
        "member, add the address as the person's alternate email, or mark it not a staff account."
    ),
    applies=manual_access_checks_apply,
    evaluate=evaluate_system_account_identified,
)

SYSTEM_ACCOUNT_ACCESS_VALID = Check(
    code="access_system_account_valid",
    title="User access to critical system should be valid",
    system=MANUAL_SYSTEMS,
    category=CATEGORY,
    entity_type=SYSTEM_ACCOUNT,
    description=(
        "Every account of an active staff member in a critical system kept by hand is allowed "
        "by that system's valid access: any active staff member (all staff), or an allowed org "
        "role (role-based)."
    ),
    how_to_fix=(
        "Remove the account in the system and import its accounts again, or, if the access is "
        "right, allow the org role on the system's Configure page."
    ),
    applies=manual_access_checks_apply,
    evaluate=evaluate_system_account_access_valid,
)

PAGERDUTY_CHECKS = (OFFBOARDED_ACCESS_REMOVED, ACCOUNT_IDENTIFIED, ACCOUNT_ACCESS_VALID)
MANUAL_SYSTEM_CHECKS = (SYSTEM_ACCOUNT_IDENTIFIED, SYSTEM_ACCOUNT_ACCESS_VALID)

ACCESS_CHECKS = (
    OFFBOARDED_ACCESS_REMOVED,
    ACCOUNT_IDENTIFIED,
    ACCOUNT_ACCESS_VALID,
    SYSTEM_ACCOUNT_IDENTIFIED,
    SYSTEM_ACCOUNT_ACCESS_VALID,
    PERIODIC_REVIEW,
)
