"""Changes to access management: critical systems, valid access, identities, manual accounts.

Each service is atomic and writes an AuditEvent in the same transaction as its change; changes
that move a check re-evaluate the entities concerned so pages show the new status at once.
Access reviews have their own module (`access.reviews`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from access.models import (
    MAX_GRACE_DAYS,
    MAX_REVIEW_PERIOD_MONTHS,
    MIN_REVIEW_PERIOD_MONTHS,
    AccountIdentity,
    CriticalSystem,
    IdentityKind,
    ManualAccount,
    RoleAllowance,
    SystemKind,
    ValidAccessMode,
)
from integrations.pagerduty.roles import PagerDutyRole
from sprintolike.actors import user_or_none
from tenants.models import Organization, OrgRole, StaffMember
from tenants.services import audit_event_record


class AccessError(Exception):
    """A change the rules refuse; the message is shown next to the field or on the page."""


PAGERDUTY_SYSTEM_NAME = "PagerDuty"


def access_reevaluate(*, organization: Organization) -> None:
    """Re-evaluate the access checks (after a rule or identity changed)."""
    from access.checks import ACCESS_CHECKS
    from checks.evaluation import organization_evaluate

    transaction.on_commit(
        lambda: organization_evaluate(organization=organization, checks=ACCESS_CHECKS)
    )


@transaction.atomic
def critical_system_create(
    *,
    organization: Organization,
    kind: str,
    acting_user: Any,
    name: str = "",
    description: str = "",
    owner: Any = None,
) -> CriticalSystem:
    if kind == SystemKind.PAGERDUTY:
        existing = CriticalSystem.objects.filter(
            organization=organization, kind=SystemKind.PAGERDUTY
        ).first()
        if existing is not None:
            raise AccessError("PagerDuty is already a critical system.")
        name = PAGERDUTY_SYSTEM_NAME
        description = description or "Incident response: on-call, escalation, who can page whom."
    name = name.strip()
    if not name:
        raise AccessError("Give the system a name.")
    if CriticalSystem.objects.filter(organization=organization, name__iexact=name).exists():
        raise AccessError(f"A critical system named {name} already exists.")
    system = CriticalSystem.objects.create(
        organization=organization,
        kind=kind,
        name=name,
        description=description.strip(),
        owner=user_or_none(owner),
    )
    audit_event_record(
        organization=organization,
        actor=acting_user,
        action="access.system.create",
        target=system,
        details={"kind": kind, "owner": str(system.owner or "")},
    )
    access_reevaluate(organization=organization)
    return system


def pagerduty_system_get_or_create(
    *, organization: Organization, acting_user: Any
) -> CriticalSystem:
    system = CriticalSystem.objects.filter(
        organization=organization, kind=SystemKind.PAGERDUTY
    ).first()
    return system or critical_system_create(
        organization=organization, kind=SystemKind.PAGERDUTY, acting_user=acting_user
    )


@transaction.atomic
def critical_system_update(
    *, system: CriticalSystem, acting_user: Any, owner: Any, review_delegate: Any, description: str
) -> CriticalSystem:
    system.owner = user_or_none(owner)
    system.review_delegate = user_or_none(review_delegate)
    system.description = description.strip()
    system.save(update_fields=["owner", "review_delegate", "description"])
    audit_event_record(
        organization=system.organization,
        actor=acting_user,
        action="access.system.update",
        target=system,
        details={
            "owner": str(system.owner or ""),
            "review_delegate": str(system.review_delegate or ""),
        },
    )
    return system


@transaction.atomic
def critical_system_delete(*, system: CriticalSystem, acting_user: Any) -> None:
    organization = system.organization
    audit_event_record(
        organization=organization, actor=acting_user, action="access.system.delete", target=system
    )
    system.delete()
    access_reevaluate(organization=organization)


def _check_range(value: int, low: int, high: int, what: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise AccessError(f"{what} must be a whole number from {low} to {high}.")


@transaction.atomic
def valid_access_configure(
    *,
    system: CriticalSystem,
    mode: str,
    allowances: Mapping[OrgRole, str],
    grace_days: int,
    acting_user: Any,
    review_period_months: int | None = None,
) -> CriticalSystem:
    """Set who may hold an account: all staff, or the given org roles each with the highest
    PagerDuty role (API value; "" for any) they may have."""
    if mode not in ValidAccessMode.values:
        raise AccessError(f"Unknown valid access type {mode!r}.")
    _check_range(grace_days, 0, MAX_GRACE_DAYS, "Grace days")
    if review_period_months is not None:
        _check_range(
            review_period_months,
            MIN_REVIEW_PERIOD_MONTHS,
            MAX_REVIEW_PERIOD_MONTHS,
            "The review period (months)",
        )
        system.review_period_months = review_period_months
    for org_role, max_role in allowances.items():
        if org_role.organization_id != system.organization_id:
            raise AccessError(f"Org role {org_role} is not this organisation's.")
        if max_role and max_role not in PagerDutyRole._value2member_map_:
            raise AccessError(f"Unknown PagerDuty role {max_role!r}.")
    if mode == ValidAccessMode.ROLE_BASED and not allowances:
        raise AccessError("Tick at least one org role that may hold an account.")
    system.valid_access_mode = mode
    system.grace_days = grace_days
    system.save(update_fields=["valid_access_mode", "grace_days", "review_period_months"])
    RoleAllowance.objects.filter(system=system).delete()
    if mode == ValidAccessMode.ROLE_BASED:
        RoleAllowance.objects.bulk_create(
            RoleAllowance(
                organization_id=system.organization_id,
                system=system,
                org_role=org_role,
                max_role=max_role if system.is_pagerduty else "",
            )
            for org_role, max_role in allowances.items()
        )
    audit_event_record(
        organization=system.organization,
        actor=acting_user,
        action="access.valid_access.configure",
        target=system,
        details={
            "mode": mode,
            "allowances": {org_role.name: max_role for org_role, max_role in allowances.items()},
            "grace_days": grace_days,
            "review_period_months": system.review_period_months,
        },
    )
    access_reevaluate(organization=system.organization)
    return system


# --- Identities --------------------------------------------------------------------------------


@transaction.atomic
def account_map(
    *, system: CriticalSystem, account_key: str, staff_member: StaffMember, acting_user: Any
) -> AccountIdentity:
    """Map an account to a staff member by hand; survives every later sync."""
    if staff_member.organization_id != system.organization_id:
        raise AccessError("That staff member is not in this organisation.")
    identity, _ = AccountIdentity.objects.update_or_create(
        system=system,
        account_key=account_key,
        defaults={
            "organization_id": system.organization_id,
            "kind": IdentityKind.MAPPED,
            "staff_member": staff_member,
            "not_staff_kind": "",
            "reason": "",
            "expires_on": None,
            "created_by": user_or_none(acting_user),
        },
    )
    audit_event_record(
        organization=system.organization,
        actor=acting_user,
        action="access.account.map",
        target=identity,
        details={"system": system.name, "account": account_key, "staff_member": staff_member.email},
    )
    access_reevaluate(organization=system.organization)
    return identity


@transaction.atomic
def account_mark_not_staff(
    *,
    system: CriticalSystem,
    account_key: str,
    not_staff_kind: str,
    reason: str,
    expires_on: date | None,
    acting_user: Any,
) -> AccountIdentity:
    """Mark an account as not a staff member's (service, shared, external), with a reason."""
    if not reason.strip():
        raise AccessError("Say why this is not a staff account.")
    identity, _ = AccountIdentity.objects.update_or_create(
        system=system,
        account_key=account_key,
        defaults={
            "organization_id": system.organization_id,
            "kind": IdentityKind.NOT_STAFF,
            "staff_member": None,
            "not_staff_kind": not_staff_kind,
            "reason": reason.strip(),
            "expires_on": expires_on,
            "created_by": user_or_none(acting_user),
        },
    )
    audit_event_record(
        organization=system.organization,
        actor=acting_user,
        action="access.account.mark_not_staff",
        target=identity,
        details={
            "system": system.name,
            "account": account_key,
            "kind": not_staff_kind,
            "reason": reason.strip(),
            "expires_on": expires_on.isoformat() if expires_on else None,
        },
    )
    access_reevaluate(organization=system.organization)
    return identity


@transaction.atomic
def account_identity_undo(*, system: CriticalSystem, account_key: str, acting_user: Any) -> None:
    """Forget the decision by hand: the automatic mapping applies again."""
    deleted, _ = AccountIdentity.objects.filter(system=system, account_key=account_key).delete()
    if deleted:
        audit_event_record(
            organization=system.organization,
            actor=acting_user,
            action="access.account.identity_undo",
            details={"system": system.name, "account": account_key},
        )
        access_reevaluate(organization=system.organization)


# --- Accounts of systems kept by hand ------------------------------------------------------------

MANUAL_ACCOUNT_COLUMNS = ("email", "name", "role")
MANUAL_ACCOUNT_MAX_ROWS = 20_000


@dataclass
class ManualImportResult:
    imported: int = 0
    removed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _read_manual_rows(content: bytes) -> tuple[list[dict[str, str]], list[tuple[int, str]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(0, "The file is not UTF-8 text; save it as CSV UTF-8.")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [column.strip().lower() for column in (reader.fieldnames or [])]
    if "email" not in header:
        return [], [(1, "Missing column: email. Expected columns: email,name,role.")]
    unknown = [column for column in header if column not in MANUAL_ACCOUNT_COLUMNS]
    if unknown:
        return [], [(1, f"Unknown column(s): {', '.join(unknown)}. Expected: email,name,role.")]
    reader.fieldnames = header
    rows: list[dict[str, str]] = []
    errors: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    try:
        for index, raw in enumerate(reader):
            line = reader.line_num
            if index >= MANUAL_ACCOUNT_MAX_ROWS:
                errors.append((line, f"More than {MANUAL_ACCOUNT_MAX_ROWS} rows."))
                break
            if None in raw:
                errors.append((line, "This row has more cells than the header."))
                continue
            values = {column: (raw.get(column) or "").strip() for column in MANUAL_ACCOUNT_COLUMNS}
            if not any(values.values()):
                continue
            problems = []
            email = values["email"].lower()
            if "\x00" in "".join(values.values()):
                problems.append("a cell contains a NUL character")
            if not email:
                problems.append("email is empty")
            else:
                try:
                    validate_email(email)
                except ValidationError:
                    problems.append(f"email “{email[:60]}” is not a valid address")
            if len(values["name"]) > 255:
                problems.append("name is longer than 255 characters")
            if len(values["role"]) > 100:
                problems.append("role is longer than 100 characters")
            if email in seen:
                problems.append(f"email {email} also appears on line {seen[email]}")
            if problems:
                errors.append((line, "; ".join(problems)))
                continue
            seen[email] = line
            rows.append({**values, "email": email})
    except csv.Error as error:
        errors.append((reader.line_num + 1, f"This line is not valid CSV ({error})."))
    return rows, errors


@transaction.atomic
def manual_accounts_import(
    *, system: CriticalSystem, content: bytes, acting_user: Any
) -> ManualImportResult:
    """Replace a system's accounts from CSV `email,name,role`: all rows or, on any bad row,
    none; every bad row is reported with its line number."""
    if system.is_pagerduty:
        raise AccessError("PagerDuty's accounts come from the sync, not from a file.")
    rows, errors = _read_manual_rows(content)
    if not rows and not errors:
        errors.append((0, "The file has no account rows."))
    result = ManualImportResult(errors=errors)
    if errors:
        return result
    existing = {account.email: account for account in ManualAccount.objects.filter(system=system)}
    wanted = {row["email"] for row in rows}
    result.removed, _ = (
        ManualAccount.objects.filter(system=system).exclude(email__in=wanted).delete()
    )
    to_create, to_update = [], []
    for row in rows:
        account = existing.get(row["email"]) or ManualAccount(
            organization_id=system.organization_id, system=system, email=row["email"]
        )
        account.name, account.role = row["name"], row["role"]
        (to_update if account.pk else to_create).append(account)
    ManualAccount.objects.bulk_create(to_create, batch_size=1000)
    ManualAccount.objects.bulk_update(to_update, ["name", "role"], batch_size=1000)
    result.imported = len(rows)
    audit_event_record(
        organization=system.organization,
        actor=acting_user,
        action="access.manual_accounts.import",
        target=system,
        details={"imported": result.imported, "removed": result.removed},
    )
    access_reevaluate(organization=system.organization)
    return result
