"""The access-management rules, written once: pages, checks, reviews and CSV exports call these.

Pure functions over plain values (no queries), so each rule is tested by itself and every
place that shows a status shows the same one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from integrations.pagerduty.roles import role_is_higher, role_label

PASSING = "passing"
DUE = "due"
FAILING = "failing"


class Identification(StrEnum):
    """How an account is tied to a person. Values are what filters and CSVs carry."""

    AUTO = "auto"
    MANUAL = "manual"
    NOT_STAFF = "not_staff"
    NOT_IDENTIFIED = "not_identified"

    @property
    def label(self) -> str:
        return IDENTIFICATION_LABELS[self]


IDENTIFICATION_LABELS = {
    Identification.AUTO: "Auto (email)",
    Identification.MANUAL: "By hand",
    Identification.NOT_STAFF: "Not a staff account",
    Identification.NOT_IDENTIFIED: "Not identified",
}
IDENTIFICATION_CHOICES = tuple((item.value, item.label) for item in Identification)


def identification_of(
    *, identity_kind: str | None, identity_staff_id: int | None, auto_staff_id: int | None
) -> tuple[Identification, int | None]:
    """(how, staff member id): a decision by hand (mapping or mark) wins over the email match."""
    if identity_kind == "not_staff":
        return Identification.NOT_STAFF, None
    if identity_kind == "mapped" and identity_staff_id is not None:
        return Identification.MANUAL, identity_staff_id
    if auto_staff_id is not None:
        return Identification.AUTO, auto_staff_id
    return Identification.NOT_IDENTIFIED, None


@dataclass(frozen=True)
class Verdict:
    status: str
    detail: str
    excess_privilege: bool = False


def access_validity(
    *,
    role_based: bool,
    allowances: Mapping[int, str],
    org_role_id: int | None,
    org_role_name: str,
    account_role: str,
) -> Verdict:
    """Whether an active staff member may hold this account with this role.

    All staff: any active staff member may. Role-based: their org role must be allowed
    (`allowances` maps allowed org role ids to the highest PagerDuty role, "" for any), and the
    account's role must not be higher than that limit (PAGERDUTY.md's order): else it is
    excess privilege.
    """
    if not role_based:
        return Verdict(PASSING, "All staff may hold an account")
    if org_role_id is None:
        return Verdict(FAILING, "The staff member has no org role; no org role may be assumed")
    if org_role_id not in allowances:
        return Verdict(FAILING, f"Org role {org_role_name} may not hold an account")
    limit = allowances[org_role_id]
    if limit and account_role and role_is_higher(account_role, limit):
        return Verdict(
            FAILING,
            f"Excess privilege: {role_label(account_role)} is higher than {role_label(limit)}, "
            f"the most {org_role_name} may have",
            excess_privilege=True,
        )
    return Verdict(PASSING, f"{org_role_name} may hold an account")


def end_of_day(day: date) -> datetime:
    """The last working day counts whole: access is due removed from the next midnight (UTC)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def revoke_deadline(*, last_working_day: date, grace_days: int) -> datetime:
    return end_of_day(last_working_day) + timedelta(days=grace_days)


@dataclass(frozen=True)
class OffboardingState:
    status: str
    deadline: datetime
    detail: str


def offboarding_state(
    *,
    last_working_day: date,
    grace_days: int,
    live_account_count: int,
    now: datetime,
) -> OffboardingState:
    """A leaver's access: passing once no live account is mapped to them; due while within
    the last working day plus the grace period; failing after it."""
    deadline = revoke_deadline(last_working_day=last_working_day, grace_days=grace_days)
    if live_account_count == 0:
        return OffboardingState(PASSING, deadline, "No live account")
    accounts = f"{live_account_count} live account{'s' if live_account_count != 1 else ''}"
    if now < deadline:
        return OffboardingState(DUE, deadline, f"{accounts}; to remove by {deadline:%Y-%m-%d}")
    return OffboardingState(
        FAILING, deadline, f"{accounts} {days_overdue(deadline=deadline, now=now)} days overdue"
    )


def days_overdue(*, deadline: datetime, now: datetime) -> int:
    return max(0, (now - deadline).days)


@dataclass(frozen=True)
class TimeToRevoke:
    """From the last working day's end to the removal; `exact` when PagerDuty's audit
    records gave the time, else "by" the first sync that saw the account gone."""

    duration: timedelta
    exact: bool

    @property
    def text(self) -> str:
        days = self.duration.total_seconds() / 86400
        if days < 0:
            amount = "before the last working day ended"
        elif days < 1:
            amount = f"{self.duration.total_seconds() / 3600:.1f} hours"
        else:
            amount = f"{days:.1f} days"
        return amount if self.exact else f"by {amount}"


def time_to_revoke(
    *, last_working_day: date, removed_at: datetime | None, removed_at_exact: datetime | None
) -> TimeToRevoke | None:
    removal = removed_at_exact or removed_at
    if removal is None:
        return None
    return TimeToRevoke(removal - end_of_day(last_working_day), exact=removed_at_exact is not None)


def review_state(
    *,
    last_completed_at: datetime | None,
    open_review_due_on: date | None,
    review_period_months: int,
    now: datetime,
) -> Verdict:
    """Periodic review: passing when a review completed within the period; due while a
    review is open and not overdue; failing otherwise."""
    if last_completed_at is not None:
        period_end = add_months(last_completed_at, review_period_months)
        if now < period_end:
            return Verdict(
                PASSING, f"Reviewed {last_completed_at:%Y-%m-%d}; next by {period_end:%Y-%m-%d}"
            )
    if open_review_due_on is not None and now.date() <= open_review_due_on:
        return Verdict(DUE, f"Review in progress, due {open_review_due_on:%Y-%m-%d}")
    if open_review_due_on is not None:
        return Verdict(FAILING, f"Review overdue since {open_review_due_on:%Y-%m-%d}")
    if last_completed_at is None:
        return Verdict(FAILING, "Never reviewed")
    return Verdict(
        FAILING,
        f"Last reviewed {last_completed_at:%Y-%m-%d}, over {review_period_months} months ago",
    )


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    for day in (moment.day, 30, 29, 28):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Suggestion:
    decision: str
    reason: str


def review_suggestion(
    *, identification: str, staff_status: str, validity: Verdict | None
) -> Suggestion:
    """What the reviewer is offered: revoke for leavers and unknown accounts, downgrade for
    excess privilege, keep otherwise."""
    if staff_status == "offboarded":
        return Suggestion("revoke", "The staff member is offboarded")
    if identification == Identification.NOT_IDENTIFIED:
        return Suggestion("revoke", "Nobody is known to own this account")
    if validity is not None and validity.excess_privilege:
        return Suggestion("downgrade", validity.detail)
    if validity is not None and validity.status == FAILING:
        return Suggestion("revoke", validity.detail)
    return Suggestion("keep", "Access is valid")
