"""The `account`, `system_account`, `staff` and `system` entity kinds: their pages and evidence columns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from access.account_facts import account_ids_of_staff
from access.accounts import identity_indexes, pagerduty_accounts
from access.checks import ACCOUNT, STAFF, SYSTEM, SYSTEM_ACCOUNT, pagerduty_system_lookup
from access.models import AccessReview, CriticalSystem, ManualAccount
from access.rules import Identification, time_to_revoke
from checks.entity_kinds import EntityKind
from checks.evidence import iso
from checks.freshness import entities_gone
from checks.models import CheckResult
from integrations.models import RemoteAccount
from integrations.pagerduty.roles import role_label
from tenants.models import Organization, StaffMember

ACCOUNT_COLUMNS = (
    "email",
    "pagerduty_role",
    "license",
    "identification",
    "staff_member",
    "staff_status",
    "org_role",
    "last_sign_in_at",
    "removed_at",
)
SYSTEM_ACCOUNT_COLUMNS = (
    "system",
    "email",
    "role",
    "identification",
    "staff_member",
    "staff_status",
    "org_role",
    "imported_at",
)
STAFF_COLUMNS = ("staff_email", "org_role", "last_working_day", "live_accounts", "time_to_revoke")
SYSTEM_COLUMNS = ("system_kind", "owner", "valid_access", "last_review_completed_at")


def account_evidence_values(
    *, organization: Organization, results: Sequence[CheckResult]
) -> dict[int, dict[str, Any]]:
    system = pagerduty_system_lookup(organization)
    if system is None:
        return {}
    rows = (
        pagerduty_accounts(system=system)
        .filter(pk__in=[result.entity_id for result in results])
        .select_related("license")
    )
    return {
        account.pk: {
            "email": account.email,
            "pagerduty_role": role_label(account.role),
            "license": account.license.name if account.license else "",
            "identification": Identification(account.identification).label,
            "staff_member": account.staff_name or "",
            "staff_status": account.staff_status or "",
            "org_role": account.staff_org_role_name or "",
            "last_sign_in_at": iso(account.last_sign_in_at),
            "removed_at": iso(account.removed_at_exact or account.removed_at),
        }
        for account in rows
    }


def system_account_evidence_values(
    *, organization: Organization, results: Sequence[CheckResult]
) -> dict[int, dict[str, Any]]:
    """Accounts of systems kept by hand: five queries per chunk (accounts, systems, index)."""
    accounts = list(
        ManualAccount.objects.filter(
            organization=organization, pk__in=[result.entity_id for result in results]
        ).values_list("pk", "system_id", "email", "role", "imported_at", named=True)
    )
    systems = list(
        CriticalSystem.objects.filter(
            organization=organization, pk__in={account.system_id for account in accounts}
        )
    )
    names = {system.pk: system.name for system in systems}
    indexes = identity_indexes(systems=systems, on=timezone.now().date())
    staff_names = dict(
        StaffMember.objects.filter(organization=organization).values_list("pk", "name")
    )
    values = {}
    for account in accounts:
        index = indexes[account.system_id]
        identification, staff_id = index.identify(key=account.email, email=account.email)
        status, _, org_role_name = index.staff_facts(staff_id)
        values[account.pk] = {
            "system": names[account.system_id],
            "email": account.email,
            "role": account.role,
            "identification": identification.label,
            "staff_member": staff_names.get(staff_id, "") if staff_id else "",
            "staff_status": status,
            "org_role": org_role_name,
            "imported_at": iso(account.imported_at),
        }
    return values


def staff_evidence_values(
    *, organization: Organization, results: Sequence[CheckResult]
) -> dict[int, dict[str, Any]]:
    ids = [result.entity_id for result in results]
    members = {
        member.pk: member
        for member in StaffMember.objects.filter(
            organization=organization, pk__in=ids
        ).select_related("org_role")
    }
    accounts: dict[int, list[Any]] = defaultdict(list)
    system = pagerduty_system_lookup(organization)
    if system is not None:
        # The members' accounts by the identity joins, then only those rows annotated.
        account_ids = account_ids_of_staff(system=system, staff_ids=ids, live_only=False)
        for account in pagerduty_accounts(system=system).filter(pk__in=account_ids):
            accounts[account.staff_id].append(account)
    values = {}
    for staff_id, member in members.items():
        mine = accounts.get(staff_id, [])
        live = [account for account in mine if account.removed_at is None]
        removals = [
            time_to_revoke(
                last_working_day=member.last_working_day,
                removed_at=account.removed_at,
                removed_at_exact=account.removed_at_exact,
            )
            for account in mine
            if account.removed_at is not None and member.last_working_day
        ]
        values[staff_id] = {
            "staff_email": member.email,
            "org_role": member.org_role.name if member.org_role else "",
            "last_working_day": iso(member.last_working_day),
            "live_accounts": len(live),
            "time_to_revoke": "; ".join(removal.text for removal in removals if removal),
        }
    return values


def system_evidence_values(
    *, organization: Organization, results: Sequence[CheckResult]
) -> dict[int, dict[str, Any]]:
    systems = CriticalSystem.objects.filter(
        organization=organization, pk__in=[result.entity_id for result in results]
    ).select_related("owner")
    last_review = {}
    for system_id, completed_at in (
        AccessReview.objects.filter(organization=organization, completed_at__isnull=False)
        .order_by("completed_at")
        .values_list("system_id", "completed_at")
    ):
        last_review[system_id] = completed_at
    return {
        system.pk: {
            "system_kind": system.get_kind_display(),
            "owner": system.owner.email if system.owner else "",
            "valid_access": system.get_valid_access_mode_display(),
            "last_review_completed_at": iso(last_review.get(system.pk)),
        }
        for system in systems
    }


def accounts_changed_since(*, organization: Organization, since: datetime) -> set[int]:
    """PagerDuty accounts a sync that started at `since` changed (the people step sets
    `synced_at`, also when it marks one removed), and accounts that are gone."""
    changed = set(
        RemoteAccount.objects.filter(organization=organization, synced_at__gte=since).values_list(
            "pk", flat=True
        )
    )
    return changed | entities_gone(
        organization_id=organization.pk, entity_type=ACCOUNT, existing=RemoteAccount.objects.all()
    )


def staff_changed_since(*, organization: Organization, since: datetime) -> set[int] | None:
    """Whether an offboarded member still holds an account depends on every account's
    identification: any account a sync changed means evaluating the staff in full (None)."""
    if RemoteAccount.objects.filter(organization=organization, synced_at__gte=since).exists():
        return None
    return set()


def nothing_synced(**kwargs: Any) -> set[int]:
    """Systems and the accounts of systems kept by hand read nothing a sync writes."""
    return set()


ACCOUNT_KIND = EntityKind(
    code=ACCOUNT,
    label="Account",
    detail_url=lambda org_slug, entity_id: reverse(
        "access:account_detail", args=[org_slug, entity_id]
    ),
    evidence_columns=ACCOUNT_COLUMNS,
    evidence_values=account_evidence_values,
    report_fields=lambda result: {"name": result.entity_label},
    subtitle_of=lambda result: (result.entity_extra or {}).get("email", ""),
    changed_entity_ids=accounts_changed_since,
)

SYSTEM_ACCOUNT_KIND = EntityKind(
    code=SYSTEM_ACCOUNT,
    label="Account",
    detail_url=lambda org_slug, entity_id: reverse(
        "access:system_account_detail", args=[org_slug, entity_id]
    ),
    evidence_columns=SYSTEM_ACCOUNT_COLUMNS,
    evidence_values=system_account_evidence_values,
    report_fields=lambda result: {
        "name": result.entity_label,
        "system": (result.entity_extra or {}).get("system", ""),
    },
    subtitle_of=lambda result: " · ".join(
        value
        for value in (
            (result.entity_extra or {}).get("email", ""),
            (result.entity_extra or {}).get("system", ""),
        )
        if value
    ),
    changed_entity_ids=nothing_synced,
)

STAFF_KIND = EntityKind(
    code=STAFF,
    label="Staff member",
    detail_url=lambda org_slug, entity_id: reverse(
        "access:staff_detail", args=[org_slug, entity_id]
    ),
    evidence_columns=STAFF_COLUMNS,
    evidence_values=staff_evidence_values,
    report_fields=lambda result: {"staff_id": result.entity_id, "name": result.entity_label},
    subtitle_of=lambda result: (result.entity_extra or {}).get("email", ""),
    changed_entity_ids=staff_changed_since,
)

SYSTEM_KIND = EntityKind(
    code=SYSTEM,
    label="Critical system",
    detail_url=lambda org_slug, entity_id: reverse(
        "access:system_summary", args=[org_slug, entity_id]
    ),
    evidence_columns=SYSTEM_COLUMNS,
    evidence_values=system_evidence_values,
    report_fields=lambda result: {"system_id": result.entity_id, "name": result.entity_label},
    changed_entity_ids=nothing_synced,
)

ACCESS_KINDS = (ACCOUNT_KIND, SYSTEM_ACCOUNT_KIND, STAFF_KIND, SYSTEM_KIND)
