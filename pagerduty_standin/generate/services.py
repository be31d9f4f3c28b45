"""Generated teams, services (with email and Events API integrations), priorities and custom fields."""

from __future__ import annotations

import random

from pagerduty_standin.account.formats import SECONDS_PER_DAY, IdFactory
from pagerduty_standin.account.records import CustomField, Integration, Priority, Service, Team
from pagerduty_standin.account.vocabulary import SERVICE_COMPONENTS, TEAM_NAMES

# PagerDuty's priorities, most to least severe: (name, description, colour).
PRIORITIES = (
    ("P1", "Critical: customer-facing outage", "a8171c"),
    ("P2", "High: degraded service for many customers", "eb6016"),
    ("P3", "Moderate: limited impact", "f9b406"),
    ("P4", "Low: no customer impact yet", "0d7eac"),
    ("P5", "Informational", "9c9c9c"),
)


def generate_teams(rng: random.Random, ids: IdFactory, team_count: int) -> list[Team]:
    """Teams, each with its escalation policy id, in shuffled order."""
    teams = []
    for team_index in range(team_count):
        name = numbered_name(TEAM_NAMES, team_index)
        teams.append(
            Team(ids.next_id(), name, f"The {name} team", escalation_policy_id=ids.next_id())
        )
    rng.shuffle(teams)
    return teams


def generate_services(
    rng: random.Random,
    ids: IdFactory,
    service_count: int,
    team_count: int,
    subdomain: str,
    now_epoch: int,
) -> list[Service]:
    """Services owned by random teams; every one has an Events API integration, most an email one."""
    services = []
    for service_index in range(service_count):
        name = numbered_name(SERVICE_COMPONENTS, service_index)
        created_at = now_epoch - rng.randint(800, 1600) * SECONDS_PER_DAY
        integrations = [
            Integration(
                ids.next_id(),
                "events_api_v2_inbound_integration",
                "Events API V2",
                created_at,
                integration_key="".join(rng.choices("0123456789abcdef", k=32)),
            )
        ]
        if rng.random() < 0.6:
            integrations.append(
                Integration(
                    ids.next_id(),
                    "generic_email_inbound_integration",
                    "Email",
                    created_at + rng.randint(0, 300) * SECONDS_PER_DAY,
                    integration_email=f"svc-{_slug(name)}@{subdomain}.pagerduty.com",
                )
            )
        services.append(
            Service(
                index=service_index,
                id=ids.next_id(),
                name=name,
                description=f"Alerts for {name}",
                created_at=created_at,
                team_index=rng.randrange(team_count),
                disabled=service_count > 3 and rng.random() < 0.05,
                integrations=integrations,
                auto_resolve_timeout=rng.choice((None, 14400, 86400)),
                acknowledgement_timeout=rng.choice((None, 600, 1800)),
            )
        )
    return services


def generate_priorities(ids: IdFactory) -> list[Priority]:
    """PagerDuty's default priority scheme, P1 to P5."""
    return [
        Priority(ids.next_id(), name, description, color) for name, description, color in PRIORITIES
    ]


def generate_custom_fields(ids: IdFactory) -> list[CustomField]:
    """The incident fields a compliance review reads: data loss and environment."""
    return [
        CustomField(ids.next_id(), "data_loss", "Data loss", "boolean", "single_value"),
        CustomField(ids.next_id(), "environment", "Environment", "string", "single_value_fixed"),
    ]


def numbered_name(names: tuple[str, ...], index: int) -> str:
    """The index-th name, numbered from the second round on ("Payments", ..., "Payments 2")."""
    base_name = names[index % len(names)]
    round_number = index // len(names)
    return base_name if round_number == 0 else f"{base_name} {round_number + 1}"


def _slug(text: str) -> str:
    return "".join(character if character.isalnum() else "-" for character in text.lower()).strip(
        "-"
    )
