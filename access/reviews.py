"""Access reviews: a frozen snapshot of a system's accounts, decisions, evidence, follow-ups.

Starting a review freezes every live account (role, license, mapping, staff status, last
sign-in, a suggested decision) and marks what is new or removed since the last review. The
reviewer decides keep / revoke / downgrade per account; the last decision completes the review
and stores a dated CSV as evidence. Revoke and downgrade decisions become follow-ups that the
next syncs verify (account gone, or role lowered).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from access.accounts import pagerduty_accounts, resolved_accounts
from access.checks import allowances_of
from access.models import (
    AccessReview,
    AccessReviewItem,
    CriticalSystem,
    FollowUpStatus,
    ReviewChange,
    ReviewDecision,
    SystemKind,
    ValidAccessMode,
)
from access.rules import access_validity, review_suggestion
from access.services import AccessError, access_reevaluate
from integrations.pagerduty.roles import PagerDutyRole, role_is_higher, role_label
from sprintolike.actors import user_or_none
from sprintolike.csv_stream import csv_safe
from tenants.models import Membership, Organization, Role
from tenants.services import audit_event_record

DEFAULT_REVIEW_DAYS = 14
REMINDER_DAYS_BEFORE_DUE = 3
EVIDENCE_COLUMNS = (
    "account",
    "email",
    "role",
    "license",
    "identification",
    "staff_member",
    "staff_status",
    "org_role",
    "last_sign_in_at",
    "change_since_last_review",
    "suggested_decision",
    "decision",
    "downgrade_to",
    "comment",
    "decided_by",
    "decided_at",
    "follow_up",
)


def reviewer_may_review(*, review: AccessReview, user: Any, membership: Membership) -> bool:
    """The reviewer named on the review, the system's owner or delegate, or an admin."""
    if membership.role in (Role.OWNER, Role.ADMIN):
        return True
    return user.pk in {review.reviewer_id, review.system.owner_id, review.system.review_delegate_id}


def _snapshot_items(
    *, review: AccessReview, system: CriticalSystem, now: datetime
) -> list[AccessReviewItem]:
    role_based = system.valid_access_mode == ValidAccessMode.ROLE_BASED
    allowances = allowances_of(system) if role_based else {}
    items = []
    for account in resolved_accounts(system=system, on=now.date()):
        validity = None
        if account.staff_id is not None and account.staff_status == "active":
            validity = access_validity(
                role_based=role_based,
                allowances=allowances,
                org_role_id=account.staff_org_role_id,
                org_role_name=account.staff_org_role_name or "",
                account_role=account.role if system.is_pagerduty else "",
            )
        suggestion = review_suggestion(
            identification=account.identification,
            staff_status=account.staff_status or "",
            validity=validity,
        )
        items.append(
            AccessReviewItem(
                organization_id=system.organization_id,
                review=review,
                account_key=account.key,
                account_name=account.name[:255],
                email=account.email,
                role=account.role,
                license_name=account.license_name,
                identification=account.identification,
                staff_member_id=account.staff_id,
                staff_name=account.staff_name or "",
                staff_status=account.staff_status or "",
                org_role_name=account.staff_org_role_name or "",
                last_sign_in_at=account.last_sign_in_at,
                suggested_decision=suggestion.decision,
                suggestion_reason=suggestion.reason[:200],
            )
        )
    return items


@transaction.atomic
def review_start(
    *,
    system: CriticalSystem,
    acting_user: Any,
    reviewer: Any = None,
    due_on: date | None = None,
    now: datetime | None = None,
) -> AccessReview:
    now = now or timezone.now()
    if AccessReview.objects.filter(system=system, completed_at__isnull=True).exists():
        raise AccessError("A review of this system is already open; complete it first.")
    due_on = due_on or (now + timedelta(days=DEFAULT_REVIEW_DAYS)).date()
    if due_on < now.date():
        raise AccessError("The due date is in the past.")
    previous = AccessReview.objects.filter(system=system).order_by("-started_at", "-pk").first()
    review = AccessReview.objects.create(
        organization_id=system.organization_id,
        system=system,
        reviewer=user_or_none(reviewer) or system.review_delegate or system.owner,
        started_by=user_or_none(acting_user),
        started_at=now,
        due_on=due_on,
    )
    items = _snapshot_items(review=review, system=system, now=now)
    if previous is not None:
        before = {
            item.account_key: item for item in previous.items.exclude(change=ReviewChange.REMOVED)
        }
        current = {item.account_key for item in items}
        for item in items:
            if item.account_key not in before:
                item.change = ReviewChange.NEW
        for key, old in before.items():
            if key not in current:
                items.append(
                    AccessReviewItem(
                        organization_id=system.organization_id,
                        review=review,
                        account_key=key,
                        account_name=old.account_name,
                        email=old.email,
                        role=old.role,
                        license_name=old.license_name,
                        identification=old.identification,
                        staff_member_id=old.staff_member_id,
                        staff_name=old.staff_name,
                        staff_status=old.staff_status,
                        org_role_name=old.org_role_name,
                        change=ReviewChange.REMOVED,
                    )
                )
    AccessReviewItem.objects.bulk_create(items, batch_size=1000)
    audit_event_record(
        organization=system.organization,
        actor=acting_user,
        action="access.review.start",
        target=review,
        details={"system": system.name, "accounts": len(items), "due_on": due_on.isoformat()},
    )
    access_reevaluate(organization=system.organization)
    return review


@transaction.atomic
def review_item_decide(
    *,
    item: AccessReviewItem,
    decision: str,
    acting_user: Any,
    comment: str = "",
    downgrade_to: str = "",
    now: datetime | None = None,
) -> AccessReviewItem:
    review = item.review
    if not review.is_open:
        raise AccessError("This review is completed; its decisions are evidence now.")
    if not item.needs_decision:
        raise AccessError("This account was removed before the review; there is nothing to decide.")
    if decision not in ReviewDecision.values:
        raise AccessError("Choose keep, revoke or downgrade.")
    if decision == ReviewDecision.DOWNGRADE and review.system.is_pagerduty:
        if downgrade_to not in PagerDutyRole._value2member_map_:
            raise AccessError("Choose the PagerDuty role to downgrade to.")
        if not role_is_higher(item.role, downgrade_to):
            raise AccessError(
                f"{role_label(downgrade_to)} is not lower than {role_label(item.role)}."
            )
    item.decision = decision
    item.downgrade_to = downgrade_to if decision == ReviewDecision.DOWNGRADE else ""
    item.comment = comment.strip()[:500]
    item.decided_by = user_or_none(acting_user)
    item.decided_at = now or timezone.now()
    item.follow_up = FollowUpStatus.NONE if decision == ReviewDecision.KEEP else FollowUpStatus.OPEN
    item.follow_up_done_at = None
    item.save()
    audit_event_record(
        organization=review.organization,
        actor=acting_user,
        action="access.review.decide",
        target=item,
        details={"review": review.pk, "decision": decision, "downgrade_to": item.downgrade_to},
    )
    undecided = review.items.filter(decision="").exclude(change=ReviewChange.REMOVED).exists()
    if not undecided:
        review_complete(review=review, acting_user=acting_user, now=item.decided_at)
    return item


def review_evidence_rows(review: AccessReview) -> list[list[Any]]:
    rows: list[list[Any]] = [list(EVIDENCE_COLUMNS)]
    for item in review.items.select_related("decided_by").order_by("account_name", "email", "pk"):
        rows.append(
            [
                csv_safe(value)
                for value in (
                    item.account_key,
                    item.email,
                    role_label(item.role) if review.system.is_pagerduty else item.role,
                    item.license_name,
                    item.identification,
                    item.staff_name,
                    item.staff_status,
                    item.org_role_name,
                    item.last_sign_in_at.isoformat() if item.last_sign_in_at else "",
                    item.change,
                    item.suggested_decision,
                    item.decision,
                    role_label(item.downgrade_to) if item.downgrade_to else "",
                    item.comment,
                    item.decided_by.email if item.decided_by else "",
                    item.decided_at.isoformat() if item.decided_at else "",
                    item.follow_up,
                )
            ]
        )
    return rows


@transaction.atomic
def review_complete(
    *, review: AccessReview, acting_user: Any, now: datetime | None = None
) -> AccessReview:
    """Complete a review whose every account is decided, storing its dated CSV as evidence."""
    if review.items.filter(decision="").exclude(change=ReviewChange.REMOVED).exists():
        raise AccessError("Decide every account before completing the review.")
    now = now or timezone.now()
    buffer = io.StringIO()
    csv.writer(buffer).writerows(review_evidence_rows(review))
    slug = review.system.name.lower().replace(" ", "-")[:40]
    review.evidence.save(
        f"access-review-{slug}-{now:%Y-%m-%d}.csv",
        ContentFile(buffer.getvalue().encode()),
        save=False,
    )
    review.completed_at = now
    review.save(update_fields=["evidence", "completed_at"])
    audit_event_record(
        organization=review.organization,
        actor=acting_user,
        action="access.review.complete",
        target=review,
        details={"system": review.system.name},
    )
    access_reevaluate(organization=review.organization)
    return review


def follow_ups_verify(*, organization: Organization, now: datetime | None = None) -> int:
    """Mark follow-ups done when the synced accounts show them done (PagerDuty systems):
    a revoked account is gone, a downgraded one's role is at most the chosen role."""
    now = now or timezone.now()
    system = CriticalSystem.objects.filter(
        organization=organization, kind=SystemKind.PAGERDUTY
    ).first()
    if system is None:
        return 0
    items = list(
        AccessReviewItem.objects.filter(
            organization=organization, review__system=system, follow_up=FollowUpStatus.OPEN
        )
    )
    if not items:
        return 0
    accounts = {
        account.external_id: account
        for account in pagerduty_accounts(system=system)
        .filter(external_id__in=[item.account_key for item in items])
        .only("external_id", "role", "removed_at")
    }
    done = []
    for item in items:
        account = accounts.get(item.account_key)
        gone = account is None or account.removed_at is not None
        if (
            item.decision == ReviewDecision.REVOKE
            and gone
            or item.decision == ReviewDecision.DOWNGRADE
            and (gone or not role_is_higher(account.role, item.downgrade_to or item.role))
        ):
            done.append(item.pk)
    AccessReviewItem.objects.filter(pk__in=done).update(
        follow_up=FollowUpStatus.DONE, follow_up_done_at=now
    )
    return len(done)


def review_reminders_send(*, now: datetime | None = None) -> int:
    """Email the reviewer of each open review due within three days or overdue, once a day."""
    now = now or timezone.now()
    today = now.date()
    reviews = (
        AccessReview.objects.filter(
            completed_at__isnull=True, due_on__lte=today + timedelta(days=REMINDER_DAYS_BEFORE_DUE)
        )
        .exclude(last_reminder_on=today)
        .select_related("system", "reviewer", "organization")
    )
    sent = 0
    for review in reviews:
        if review.reviewer is None or not review.reviewer.email:
            continue
        undecided = review.items.filter(decision="").exclude(change=ReviewChange.REMOVED).count()
        state = "is overdue" if review.due_on < today else f"is due on {review.due_on:%Y-%m-%d}"
        send_mail(
            subject=f"Access review of {review.system.name} {state}",
            message=(
                f"The access review of {review.system.name} in {review.organization.name} {state}; "
                f"{undecided} account(s) still need a decision."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[review.reviewer.email],
        )
        AccessReview.objects.filter(pk=review.pk).update(last_reminder_on=today)
        sent += 1
    return sent
