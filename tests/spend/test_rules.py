"""The spend rules as a specification: spend maths, each insight (with the on-call exemption
and the downgrade rule), totals and the peak of a month."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from spend import rules
from spend.rules import MemberFacts, TierFigures

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
FULL = TierFigures("Business (Full User)", "FullUser", 10, None, 4100)
STAKEHOLDER = TierFigures("Business (Stakeholder)", "Stakeholder", 4, None, 300)


def member(account_id: int, **overrides) -> MemberFacts:
    values = {
        "account_id": account_id,
        "tier_name": FULL.name,
        "role_group": "FullUser",
        "invitation_pending": False,
        "last_sign_in_at": NOW - timedelta(days=3),
        "on_schedule": True,
        "on_escalation_policy": True,
    }
    values.update(overrides)
    return MemberFacts(**values)


def insight(code: str, members, tiers=(FULL, STAKEHOLDER)) -> rules.Insight:
    found = rules.insights_for(list(members), list(tiers), now=NOW, inactive_days=60)
    return next(item for item in found if item.code == code)


def test_spend_is_seats_bought_when_set_else_seats_used_times_price_per_tier():
    tiers = [
        TierFigures("Full", "FullUser", seats_used=8, seats_bought=10, price_per_seat_cents=4100),
        TierFigures("Stakeholder", "Stakeholder", 20, None, 300),
        TierFigures("Not priced", "FullUser", 3, None, None),
    ]
    assert rules.monthly_spend_cents(tiers) == 10 * 4100 + 20 * 300
    assert tiers[0].unused_seats == 2 and tiers[1].unused_seats == 0


def test_cost_per_active_user_and_renewal_notice():
    assert rules.cost_per_active_user_cents(10_000, 3) == 3333
    assert rules.cost_per_active_user_cents(10_000, 0) is None
    today = date(2026, 3, 1)
    assert rules.renewal_is_due(date(2026, 4, 20), today=today, notice_days=60)
    assert not rules.renewal_is_due(date(2026, 6, 1), today=today, notice_days=60)
    assert not rules.renewal_is_due(None, today=today, notice_days=60)


def test_unused_seats_save_their_price():
    full = TierFigures(FULL.name, "FullUser", 8, 11, 4100)
    found = insight(rules.UNUSED_SEATS, [], tiers=[full, STAKEHOLDER])
    assert (found.count, found.monthly_saving_cents) == (3, 3 * 4100)


def test_invited_but_never_joined_saves_the_seat():
    found = insight(rules.NEVER_JOINED, [member(1, invitation_pending=True, last_sign_in_at=None)])
    assert found.account_ids == [1] and found.monthly_saving_cents == 4100


def test_offboarded_staff_still_holding_a_seat():
    found = insight(rules.OFFBOARDED_HOLDING_SEAT, [member(1, staff_status="offboarded")])
    assert found.account_ids == [1]
    assert insight(rules.OFFBOARDED_HOLDING_SEAT, [member(2, staff_status="active")]).count == 0


def test_no_sign_in_for_inactive_days_and_not_on_call_is_inactive():
    stale = NOW - timedelta(days=61)
    found = insight(
        rules.INACTIVE,
        [
            member(1, last_sign_in_at=stale, on_schedule=False, on_escalation_policy=False),
            member(2, last_sign_in_at=None, on_schedule=False, on_escalation_policy=False),
            member(
                3,
                last_sign_in_at=NOW - timedelta(days=59),
                on_schedule=False,
                on_escalation_policy=False,
            ),
        ],
    )
    assert found.account_ids == [1, 2]
    assert found.monthly_saving_cents == 2 * 4100


def test_an_on_call_responder_who_only_uses_the_mobile_app_is_not_inactive():
    stale = NOW - timedelta(days=300)
    on_schedule = member(1, last_sign_in_at=stale, on_schedule=True, on_escalation_policy=False)
    on_policy = member(2, last_sign_in_at=stale, on_schedule=False, on_escalation_policy=True)

    assert insight(rules.INACTIVE, [on_schedule, on_policy]).count == 0
    assert rules.member_status(on_schedule, now=NOW, inactive_days=60) == "active"


def test_a_full_user_who_signs_in_but_is_never_on_call_nor_responding_may_be_a_stakeholder():
    candidate = member(1, on_schedule=False, on_escalation_policy=False)
    found = insight(rules.DOWNGRADE, [candidate])
    assert found.account_ids == [1]
    assert found.monthly_saving_cents == 4100 - 300


def test_the_downgrade_rule_spares_on_call_responders_stakeholders_and_the_unknown():
    not_on_call = {"on_schedule": False, "on_escalation_policy": False}
    spared = [
        member(1, on_schedule=True, on_escalation_policy=False),
        member(2, responded_recently=True, **not_on_call),
        member(3, tier_name=STAKEHOLDER.name, role_group="Stakeholder", **not_on_call),
        member(4, on_schedule=None, on_escalation_policy=None),
        member(5, last_sign_in_at=NOW - timedelta(days=90), **not_on_call),
    ]
    assert insight(rules.DOWNGRADE, spared).count == 0


def test_total_counts_each_account_once_and_the_peak_insight_is_not_added():
    offboarded_and_inactive = member(
        1,
        staff_status="offboarded",
        last_sign_in_at=None,
        on_schedule=False,
        on_escalation_policy=False,
    )
    invited = member(2, invitation_pending=True)
    found = rules.insights_for(
        [offboarded_and_inactive, invited],
        [TierFigures(FULL.name, "FullUser", 2, 3, 4100), STAKEHOLDER],
        now=NOW,
        inactive_days=60,
    )
    peak = next(item for item in found if item.code == rules.REMOVE_BEFORE_MONTH_END)
    assert peak.account_ids == [1, 2] and not peak.counts_in_total
    assert "01 April" in peak.explanation
    assert rules.total_potential_saving_cents(found) == 4100 + 2 * 4100


def test_peak_seats_is_the_highest_daily_total_of_each_month():
    daily = [
        (date(2026, 1, 5), 10),
        (date(2026, 1, 5), 3),
        (date(2026, 1, 20), 12),
        (date(2026, 1, 20), 0),
        (date(2026, 2, 1), 9),
    ]
    assert rules.peak_seats_by_month(daily) == {date(2026, 1, 1): 13, date(2026, 2, 1): 9}


def test_published_list_prices_are_the_defaults():
    assert rules.default_price_cents("Business (Full User)", "FullUser") == 4100
    assert rules.default_price_cents("Professional (Full User)", "FullUser") == 2100
    assert rules.default_price_cents("Business (Stakeholder)", "Stakeholder") == 300
    assert rules.default_price_cents("Enterprise (Full User)", "FullUser") is None


def test_insights_read_the_members_once_so_they_can_stream_from_the_database():
    members = [
        member(1, invitation_pending=True),
        member(2, staff_status="offboarded"),
        member(3, last_sign_in_at=None, on_schedule=False, on_escalation_policy=False),
        member(4, on_schedule=False, on_escalation_policy=False),  # a downgrade
        member(5, on_schedule=False, on_escalation_policy=False, staff_status="offboarded"),
        member(6),
    ]
    from_list = rules.insights_for(members, [FULL, STAKEHOLDER], now=NOW, inactive_days=60)
    streamed = rules.insights_for(
        (fact for fact in members), [FULL, STAKEHOLDER], now=NOW, inactive_days=60
    )

    assert streamed == from_list
    assert {insight.code: insight.account_ids for insight in streamed} == {
        rules.UNUSED_SEATS: [],
        rules.NEVER_JOINED: [1],
        rules.OFFBOARDED_HOLDING_SEAT: [2, 5],
        rules.INACTIVE: [3],
        rules.DOWNGRADE: [4],
        rules.REMOVE_BEFORE_MONTH_END: [1, 2, 3, 5],
    }
