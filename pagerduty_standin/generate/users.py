"""Generated users (roles, invitations, sign-ins, teams) and the license tiers they hold."""

from __future__ import annotations

import random

from pagerduty_standin.account.formats import SECONDS_PER_DAY, IdFactory
from pagerduty_standin.account.records import License, User
from pagerduty_standin.account.vocabulary import (
    COLORS,
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    TIME_ZONES,
)

# (role, share of non-owner users). The single owner is always the first user.
ROLE_SHARES: tuple[tuple[str, float], ...] = (
    ("admin", 0.06),
    ("user", 0.50),
    ("limited_user", 0.14),
    ("observer", 0.06),
    ("restricted_access", 0.05),
    ("read_only_user", 0.14),
    ("read_only_limited_user", 0.05),
)
FULL_USER_ROLES = ("owner", "admin", "user", "limited_user", "observer", "restricted_access")
STAKEHOLDER_ROLES = ("read_only_user", "read_only_limited_user")


def generate_users(
    rng: random.Random, ids: IdFactory, user_count: int, team_count: int, now_epoch: int
) -> list[User]:
    """Users with PagerDuty's role mix: some invited and never signed in, some long inactive."""
    roles = [role for role, _ in ROLE_SHARES]
    weights = [share for _, share in ROLE_SHARES]
    users = []
    for user_index in range(user_count):
        first_name = rng.choice(FIRST_NAMES)
        last_name = rng.choice(LAST_NAMES)
        role = "owner" if user_index == 0 else rng.choices(roles, weights)[0]
        created_at = (
            now_epoch - rng.randint(30, 1500) * SECONDS_PER_DAY - rng.randrange(SECONDS_PER_DAY)
        )
        if user_index == 0:
            created_at = now_epoch - 1600 * SECONDS_PER_DAY
        invitation_sent = user_index != 0 and rng.random() < 0.03
        if invitation_sent:
            created_at = now_epoch - rng.randint(1, 60) * SECONDS_PER_DAY
        roll = rng.random()
        if invitation_sent or (user_index != 0 and roll < 0.08):
            last_sign_in_at = None
        elif roll < 0.18:
            stale_days = rng.uniform(90, 500)
            last_sign_in_at = max(created_at + 3600, now_epoch - int(stale_days * SECONDS_PER_DAY))
        else:
            recent_seconds = int(rng.expovariate(1 / (9 * SECONDS_PER_DAY)))
            last_sign_in_at = max(created_at + 3600, now_epoch - 3600 - recent_seconds)
        membership_count = rng.choices((0, 1, 1, 1, 2), k=1)[0]
        team_indices = tuple(
            sorted(rng.sample(range(team_count), min(membership_count, team_count)))
        )
        users.append(
            User(
                index=user_index,
                id=ids.next_id(),
                name=f"{first_name} {last_name}",
                email=f"{first_name.lower()}.{last_name.lower()}{user_index}@example.com",
                role=role,
                time_zone=rng.choice(TIME_ZONES),
                color=rng.choice(COLORS),
                job_title=rng.choice(JOB_TITLES),
                description=None,
                invitation_sent=invitation_sent,
                created_via_sso=rng.random() < 0.4,
                created_at=created_at,
                last_sign_in_at=last_sign_in_at,
                team_indices=team_indices,
                contact_method_id=ids.next_id(),
                notification_rule_id=ids.next_id(),
            )
        )
    return users


def generate_licenses(ids: IdFactory, users: list[User]) -> list[License]:
    """PagerDuty Business: Full User and Stakeholder tiers, each bought with a little headroom."""
    licenses = [
        License(
            ids.next_id(),
            "Business (Full User)",
            "Full access to incident response",
            "FullUser",
            FULL_USER_ROLES,
            0,
        ),
        License(
            ids.next_id(),
            "Business (Stakeholder)",
            "Read-only access for stakeholders",
            "Stakeholder",
            STAKEHOLDER_ROLES,
            0,
        ),
    ]
    for license_tier in licenses:
        holders = sum(1 for user in users if user.role in license_tier.valid_roles)
        license_tier.purchased = holders + max(5, holders // 10)
    return licenses
