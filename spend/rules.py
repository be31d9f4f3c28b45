"""The spend rules, written once: spend per tier, who is inactive, which insights name whom and
what each would save, and the peak of a month. Pure functions over plain values (no database).

Billing facts they encode (PAGERDUTY.md): PagerDuty charges per user per month on the highest
number of users at any time in the month; an on-call responder who only uses the mobile app
rarely signs in on the web, so last sign-in alone is not "activity".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

FULL_USER = "FullUser"
STAKEHOLDER = "Stakeholder"
OFFBOARDED = "offboarded"
RESPONSE_WINDOW_DAYS = 90

UNUSED_SEATS = "unused_seats"
NEVER_JOINED = "never_joined"
OFFBOARDED_HOLDING_SEAT = "offboarded_holding_seat"
INACTIVE = "inactive"
DOWNGRADE = "downgrade_to_stakeholder"
REMOVE_BEFORE_MONTH_END = "remove_before_month_end"


@dataclass(frozen=True)
class TierFigures:
    """One license tier: seats in use, seats bought (optional) and the price per seat."""

    name: str
    role_group: str
    seats_used: int
    seats_bought: int | None
    price_per_seat_cents: int | None

    @property
    def billed_seats(self) -> int:
        """Seats bought when set (that is what the invoice says), else the seats in use."""
        return self.seats_bought if self.seats_bought is not None else self.seats_used

    @property
    def monthly_spend_cents(self) -> int:
        return self.billed_seats * (self.price_per_seat_cents or 0)

    @property
    def unused_seats(self) -> int:
        if self.seats_bought is None:
            return 0
        return max(0, self.seats_bought - self.seats_used)


def monthly_spend_cents(tiers: Iterable[TierFigures]) -> int:
    """Spend = for each tier, (seats bought if set, else seats used) × price."""
    return sum(tier.monthly_spend_cents for tier in tiers)


def cost_per_active_user_cents(spend_cents: int, active_members: int) -> int | None:
    return round(spend_cents / active_members) if active_members else None


def renewal_is_due(renewal_date: date | None, *, today: date, notice_days: int) -> bool:
    """Within the renewal-notice window (default 60 days before an annual auto-renewal)."""
    return renewal_date is not None and today <= renewal_date <= today + timedelta(days=notice_days)


class MemberFacts(NamedTuple):
    """What the insights need to know about one account.

    A named tuple, built for every live account: immutable like a frozen dataclass, three times
    cheaper to build, and of plain values only, so the garbage collector stops tracking it
    instead of walking 10,000 more objects in the full collections a page would then trigger."""

    account_id: int
    tier_name: str
    role_group: str
    invitation_pending: bool
    last_sign_in_at: datetime | None
    on_schedule: bool | None
    on_escalation_policy: bool | None
    removed: bool = False
    staff_status: str | None = None
    responded_recently: bool = False


def is_on_call(member: MemberFacts) -> bool:
    return bool(member.on_schedule) or bool(member.on_escalation_policy)


def on_call_known(member: MemberFacts) -> bool:
    return member.on_schedule is not None or member.on_escalation_policy is not None


def signed_in_within(member: MemberFacts, *, now: datetime, days: int) -> bool:
    return member.last_sign_in_at is not None and member.last_sign_in_at >= now - timedelta(
        days=days
    )


def is_inactive(member: MemberFacts, *, now: datetime, inactive_days: int) -> bool:
    """No sign-in for ``inactive_days`` AND on no schedule or escalation policy.

    Invited members who never joined have their own insight, so they are not "inactive"."""
    return (
        not member.removed
        and not member.invitation_pending
        and not signed_in_within(member, now=now, days=inactive_days)
        and not is_on_call(member)
    )


def never_joined(member: MemberFacts) -> bool:
    return not member.removed and member.invitation_pending


def offboarded_holding_seat(member: MemberFacts) -> bool:
    return not member.removed and member.staff_status == OFFBOARDED


def is_downgrade_candidate(member: MemberFacts, *, now: datetime, inactive_days: int) -> bool:
    """A Full User who signs in but is on no schedule or escalation policy (known, not guessed)
    and responded to no incident in the last 90 days: a Stakeholder license would do."""
    return (
        not member.removed
        and not member.invitation_pending
        and member.role_group == FULL_USER
        and member.staff_status != OFFBOARDED
        and signed_in_within(member, now=now, days=inactive_days)
        and on_call_known(member)
        and not is_on_call(member)
        and not member.responded_recently
    )


def member_status(member: MemberFacts, *, now: datetime, inactive_days: int) -> str:
    """ "removed", "invited", "inactive" or "active" (the Members tab's status)."""
    if member.removed:
        return "removed"
    if member.invitation_pending:
        return "invited"
    if is_inactive(member, now=now, inactive_days=inactive_days):
        return "inactive"
    return "active"


@dataclass
class Insight:
    code: str
    title: str
    explanation: str
    monthly_saving_cents: int = 0
    count: int = 0
    account_ids: list[int] = field(default_factory=list)
    saving_by_account: dict[int, int] = field(default_factory=dict)
    counts_in_total: bool = True


INSIGHT_TITLES = {
    UNUSED_SEATS: "Seats bought but unused",
    NEVER_JOINED: "Invited but never joined",
    OFFBOARDED_HOLDING_SEAT: "Offboarded staff still holding a seat",
    INACTIVE: "Inactive members",
    DOWNGRADE: "Full User → Stakeholder downgrade",
    REMOVE_BEFORE_MONTH_END: "Remove before the 1st",
}


def first_of_next_month(today: date) -> date:
    return date(today.year + (today.month == 12), today.month % 12 + 1, 1)


def insights_for(
    members: Iterable[MemberFacts],
    tiers: Sequence[TierFigures],
    *,
    now: datetime,
    inactive_days: int,
) -> list[Insight]:
    """Every insight with the members it names and its monthly saving (in cents).

    One pass over the members (each account once, accounts distinct), so they can stream from
    the database: 10,000 facts never live at once, and none outlives the collections that would
    move it to the oldest generation and make the next full collection walk it."""
    price_by_tier = {tier.name: tier.price_per_seat_cents or 0 for tier in tiers}
    stakeholder_price = next(
        (tier.price_per_seat_cents or 0 for tier in tiers if tier.role_group == STAKEHOLDER), 0
    )

    def seat_price(member: MemberFacts) -> int:
        return price_by_tier.get(member.tier_name, 0)

    unused = Insight(
        UNUSED_SEATS,
        INSIGHT_TITLES[UNUSED_SEATS],
        "Seats bought beyond the seats in use. Buy fewer at the next renewal.",
    )
    for tier in tiers:
        unused.count += tier.unused_seats
        unused.monthly_saving_cents += tier.unused_seats * (tier.price_per_seat_cents or 0)

    named = [
        (
            Insight(
                NEVER_JOINED,
                INSIGHT_TITLES[NEVER_JOINED],
                "Invited but never accepted, yet holding a license. Withdraw the invitation.",
            ),
            never_joined,
        ),
        (
            Insight(
                OFFBOARDED_HOLDING_SEAT,
                INSIGHT_TITLES[OFFBOARDED_HOLDING_SEAT],
                "The staff directory says these people left; their PagerDuty account still "
                "holds a seat. Remove the account.",
            ),
            offboarded_holding_seat,
        ),
        (
            Insight(
                INACTIVE,
                INSIGHT_TITLES[INACTIVE],
                f"No sign-in for {inactive_days} days and on no schedule or escalation policy "
                "(an on-call responder who only uses the mobile app is not inactive).",
            ),
            lambda member: (
                is_inactive(member, now=now, inactive_days=inactive_days)
                and member.staff_status != OFFBOARDED
            ),
        ),
    ]
    downgrade = Insight(
        DOWNGRADE,
        INSIGHT_TITLES[DOWNGRADE],
        "Full Users who sign in but are on no schedule or escalation policy and responded to "
        f"no incident in {RESPONSE_WINDOW_DAYS} days: a Stakeholder license is enough.",
    )
    removable: dict[int, int] = {}
    for member in members:
        for insight, applies in named:
            if applies(member):
                saving = seat_price(member)
                insight.account_ids.append(member.account_id)
                insight.saving_by_account[member.account_id] = saving
                insight.monthly_saving_cents += saving
                removable[member.account_id] = max(removable.get(member.account_id, 0), saving)
        # A member the insights above name is removed, not downgraded.
        if member.account_id not in removable and is_downgrade_candidate(
            member, now=now, inactive_days=inactive_days
        ):
            saving = max(0, seat_price(member) - stakeholder_price)
            downgrade.account_ids.append(member.account_id)
            downgrade.saving_by_account[member.account_id] = saving
            downgrade.monthly_saving_cents += saving
    insights = [unused]
    for insight, _ in named:
        insight.count = len(insight.account_ids)
        insights.append(insight)
    downgrade.count = len(downgrade.account_ids)
    insights.append(downgrade)

    next_first = first_of_next_month(now.date())
    peak = Insight(
        REMOVE_BEFORE_MONTH_END,
        INSIGHT_TITLES[REMOVE_BEFORE_MONTH_END],
        "PagerDuty bills the highest number of users in a month: a seat removed on the 2nd is "
        f"still paid for that whole month. Removing the members above before {next_first:%d %B} "
        "saves the whole next month.",
        counts_in_total=False,
    )
    peak.account_ids = sorted(removable)
    peak.saving_by_account = dict(removable)
    peak.count = len(removable)
    peak.monthly_saving_cents = sum(removable.values())
    insights.append(peak)
    return insights


def total_potential_saving_cents(insights: Iterable[Insight]) -> int:
    """Each account's saving counted once (its largest), plus unused seats."""
    by_account: dict[int, int] = {}
    total = 0
    for insight in insights:
        if not insight.counts_in_total:
            continue
        if not insight.saving_by_account:
            total += insight.monthly_saving_cents
        for account_id, saving in insight.saving_by_account.items():
            by_account[account_id] = max(by_account.get(account_id, 0), saving)
    return total + sum(by_account.values())


def peak_seats_by_month(daily_seats: Iterable[tuple[date, int]]) -> dict[date, int]:
    """The highest daily seat total of each month, from (day, seats held that day) per tier."""
    per_day: dict[date, int] = {}
    for day, seats in daily_seats:
        per_day[day] = per_day.get(day, 0) + seats
    peaks: dict[date, int] = {}
    for day, seats in per_day.items():
        month = day.replace(day=1)
        peaks[month] = max(peaks.get(month, 0), seats)
    return dict(sorted(peaks.items()))


# Published list prices per user per month (PAGERDUTY.md), used as defaults a user can change.
LIST_PRICES_CENTS: Mapping[tuple[str, str], int] = {
    ("professional", FULL_USER): 2100,
    ("business", FULL_USER): 4100,
    ("professional", STAKEHOLDER): 300,
    ("business", STAKEHOLDER): 300,
}
STAKEHOLDER_PACK_PRICE_CENTS_PER_SEAT = 300  # $150 a month per 50


def default_price_cents(tier_name: str, role_group: str) -> int | None:
    """The published list price for a PagerDuty tier, when its plan is one we know."""
    lowered = tier_name.lower()
    for (plan, group), cents in LIST_PRICES_CENTS.items():
        if plan in lowered and group == role_group:
            return cents
    if role_group == STAKEHOLDER:
        return STAKEHOLDER_PACK_PRICE_CENTS_PER_SEAT
    return None
