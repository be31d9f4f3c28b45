"""The access part of the demo (`manage.py seed_demo --standin-url ...`): every Access tab
filled with a story.

PagerDuty becomes a critical system with role-based access that some accounts break (Finance
may hold no account; Support holding Manager is excess privilege); a people-only sync reads the
stand-in's users; then, in the stand-in, some leavers' users are removed and a few roles
changed, so the next sync (queued by connecting) records removals (exact, from audit records)
and role changes. A review completed a month ago, an alternate email, a service account and a
mapping by hand complete the picture.

GitHub is a critical system kept by hand (`manual_system_demo_seed`, no stand-in needed): its
accounts are imported from a CSV as a user would, so the checks of systems kept by hand have
passing and failing accounts: staff identified by email, one mapped by hand, a bot marked as a
service account, an unknown address, a leaver who still holds an account and someone whose org
role may not hold one.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import requests
from django.db import transaction
from django.utils import timezone

from access import reviews, services
from access.accounts import pagerduty_accounts
from access.models import CriticalSystem, ReviewDecision, SystemKind, ValidAccessMode
from integrations.models import Connection, RemoteAccount, SyncTrigger
from integrations.pagerduty.roles import role_is_higher
from integrations.pagerduty.sync.run import sync_connection
from integrations.pagerduty.sync.steps.catalog import LicensesStep
from integrations.pagerduty.sync.steps.people import SignInsStep, UsersStep
from tenants.models import Organization, OrgRole, StaffAlternateEmail, StaffMember, StaffStatus

DEMO_MANUAL_SYSTEM = "GitHub"
DEMO_MANUAL_ALLOWED_ROLES = ("SRE", "Backend engineer", "Engineering manager")
DEMO_MANUAL_ROLES = ("admin", "maintain", "write", "write", "read")

DEMO_ALLOWANCES = {
    "SRE": "user",
    "Backend engineer": "user",
    "Support": "limited_user",
    "Engineering manager": "admin",
}


def access_demo_seed(*, organization: Organization, user: Any, standin_url: str) -> str:
    """Seed once; returns what was done (for the command's output)."""
    if CriticalSystem.objects.filter(organization=organization, kind=SystemKind.PAGERDUTY).exists():
        return "Access demo already seeded."
    connection = Connection.objects.filter(organization=organization).first()
    if connection is None:
        return "No connection: the access demo needs the stand-in."
    sync_connection(
        connection=connection,
        trigger=SyncTrigger.COMMAND,
        steps=(LicensesStep(), UsersStep(), SignInsStep()),
    )
    system = services.critical_system_create(
        organization=organization, kind=SystemKind.PAGERDUTY, owner=user, acting_user=user
    )
    roles = {role.name: role for role in OrgRole.objects.filter(organization=organization)}
    services.valid_access_configure(
        system=system,
        mode=ValidAccessMode.ROLE_BASED,
        allowances={roles[name]: limit for name, limit in DEMO_ALLOWANCES.items() if name in roles},
        grace_days=3,
        acting_user=user,
    )
    live = RemoteAccount.objects.filter(connection=connection, removed_at__isnull=True)
    staff_emails = set(
        StaffMember.objects.filter(organization=organization).values_list("email", flat=True)
    )
    unknown = [
        account for account in live.order_by("external_id") if account.email not in staff_emails
    ]
    if len(unknown) >= 3:
        # One unknown address is someone's old alias, one a service account, one mapped by hand.
        person = (
            StaffMember.objects.filter(organization=organization, status=StaffStatus.ACTIVE)
            .order_by("pk")
            .first()
        )
        StaffAlternateEmail.objects.create(
            organization=organization, staff_member=person, email=unknown[0].email
        )
        services.account_mark_not_staff(
            system=system,
            account_key=unknown[1].external_id,
            not_staff_kind="service",
            reason="Monitoring integration user (Datadog)",
            expires_on=None,
            acting_user=user,
        )
        other = (
            StaffMember.objects.filter(organization=organization, status=StaffStatus.ACTIVE)
            .order_by("-pk")
            .first()
        )
        services.account_map(
            system=system, account_key=unknown[2].external_id, staff_member=other, acting_user=user
        )

    now = timezone.now()
    review = reviews.review_start(
        system=system, acting_user=user, reviewer=user, now=now - timedelta(days=40)
    )
    for item in review.items.all():
        decision = item.suggested_decision or ReviewDecision.KEEP
        lower = "limited_user" if role_is_higher(item.role, "limited_user") else "observer"
        reviews.review_item_decide(
            item=item,
            decision=decision,
            downgrade_to=lower if decision == ReviewDecision.DOWNGRADE else "",
            comment="" if decision == ReviewDecision.KEEP else "Reviewed with the team lead",
            acting_user=user,
            now=now - timedelta(days=35),
        )

    leavers = (
        pagerduty_accounts(system=system)
        .filter(removed_at__isnull=True, staff_status=StaffStatus.OFFBOARDED)
        .order_by("external_id")
    )
    removed = 0
    for index, account in enumerate(leavers):
        if index == 1:
            # A recent leaver still within the grace period: "due".
            StaffMember.objects.filter(pk=account.staff_id).update(
                last_working_day=timezone.localdate() - timedelta(days=1)
            )
        if index % 2 == 0:
            _control(standin_url, f"/users/{account.external_id}/remove")
            removed += 1
    promoted = 0
    for account in live.filter(role="limited_user").order_by("external_id")[:3]:
        _control(standin_url, f"/users/{account.external_id}/role", {"role": "admin"})
        promoted += 1
    return (
        f"Access demo: PagerDuty is a critical system (role-based), a review completed, "
        f"{removed} leavers removed and {promoted} roles raised in the stand-in for the next sync."
    )


@transaction.atomic
def manual_system_demo_seed(*, organization: Organization, user: Any) -> str:
    """Seed GitHub, a critical system kept by hand, once (all or nothing); returns what was
    done."""
    if CriticalSystem.objects.filter(
        organization=organization, name__iexact=DEMO_MANUAL_SYSTEM
    ).exists():
        return f"{DEMO_MANUAL_SYSTEM} demo already seeded."
    staff = StaffMember.objects.filter(organization=organization).select_related("org_role")
    allowed = list(
        staff.filter(
            status=StaffStatus.ACTIVE, org_role__name__in=DEMO_MANUAL_ALLOWED_ROLES
        ).order_by("pk")[:7]
    )
    not_allowed = (
        staff.filter(status=StaffStatus.ACTIVE)
        .exclude(org_role__name__in=DEMO_MANUAL_ALLOWED_ROLES)
        .order_by("pk")
        .first()
    )
    leaver = staff.filter(status=StaffStatus.OFFBOARDED).order_by("pk").first()
    if len(allowed) < 2:
        return f"{DEMO_MANUAL_SYSTEM} demo skipped: the staff directory is too small."
    system = services.critical_system_create(
        organization=organization,
        kind=SystemKind.MANUAL,
        name=DEMO_MANUAL_SYSTEM,
        description="Source code and deployments (organisation members, exported by hand).",
        owner=user,
        acting_user=user,
    )
    services.valid_access_configure(
        system=system,
        mode=ValidAccessMode.ROLE_BASED,
        allowances=dict.fromkeys(
            OrgRole.objects.filter(organization=organization, name__in=DEMO_MANUAL_ALLOWED_ROLES),
            "",
        ),
        grace_days=0,
        acting_user=user,
    )
    mapped_by_hand, identified = allowed[0], allowed[1:]
    personal_email = f"{mapped_by_hand.email.split('@')[0]}.personal@gmail.example"
    rows = [
        (member.email, member.name, DEMO_MANUAL_ROLES[index % len(DEMO_MANUAL_ROLES)])
        for index, member in enumerate(identified)
    ]
    rows.append((personal_email, mapped_by_hand.name, "write"))
    rows.append(("deploy-bot@example.com", "Deploy bot", "write"))
    rows.append(("contractor@agency.example", "Sam Contractor", "write"))
    for member in (leaver, not_allowed):
        if member is not None:
            rows.append((member.email, member.name, "write"))
    result = services.manual_accounts_import(
        system=system, content=_csv_bytes(rows), acting_user=user
    )
    if not result.ok:
        raise services.AccessError(
            f"The {DEMO_MANUAL_SYSTEM} demo CSV was refused: {result.errors}"
        )
    services.account_map(
        system=system, account_key=personal_email, staff_member=mapped_by_hand, acting_user=user
    )
    services.account_mark_not_staff(
        system=system,
        account_key="deploy-bot@example.com",
        not_staff_kind="service",
        reason="Deploys from CI; its token is rotated monthly",
        expires_on=None,
        acting_user=user,
    )
    return (
        f"{DEMO_MANUAL_SYSTEM} demo: a critical system kept by hand with {result.imported} "
        "accounts imported from CSV (one unknown, one a leaver's, one mapped by hand)."
    )


def _csv_bytes(rows: list[tuple[str, str, str]]) -> bytes:
    """The rows as the CSV a user would upload (`email,name,role`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["email", "name", "role"])
    writer.writerows(rows)
    return buffer.getvalue().encode()


def _control(url: str, path: str, payload: dict | None = None) -> None:
    response = requests.post(f"{url.rstrip('/')}/_control{path}", json=payload or {}, timeout=10)
    response.raise_for_status()
