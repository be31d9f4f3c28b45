"""Deterministic PagerDuty account data for the local stand-in server, and the indexes to query it.

Everything is generated from `random.Random` streams derived from one seed, so the same seed and
sizes always give the same ids, names and timestamps (as long as `now` is fixed). Incidents are
kept in creation order with a parallel array of creation times, so a `since`/`until` window is two
bisections; log entries are not stored as objects but derived from each incident on demand, which
keeps 100,000 incidents (and their half a million log entries) within a few tens of megabytes.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import json
import random
import statistics
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

SECONDS_PER_DAY = 86_400
INCIDENT_HISTORY_DAYS = 730
BASE36_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BASE36_PAIRS = tuple(first + second for first in BASE36_DIGITS for second in BASE36_DIGITS)
LOG_ENTRY_SEQUENCE_SLOTS = 1024

TRIGGERED = "triggered"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"
OPEN_STATUSES = frozenset({TRIGGERED, ACKNOWLEDGED})
ALL_STATUSES = frozenset({TRIGGERED, ACKNOWLEDGED, RESOLVED})

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
RESPONDER_ROLES = frozenset({"owner", "admin", "user", "limited_user"})
FULL_USER_ROLES = ("owner", "admin", "user", "limited_user", "observer", "restricted_access")
STAKEHOLDER_ROLES = ("read_only_user", "read_only_limited_user")

FIRST_NAMES = (
    "Ada",
    "Alan",
    "Amara",
    "Ana",
    "Arjun",
    "Beatriz",
    "Ben",
    "Carla",
    "Chen",
    "Chloe",
    "Daniel",
    "Dara",
    "Elena",
    "Emeka",
    "Erik",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jade",
    "Jamal",
    "Jonas",
    "Julia",
    "Kai",
    "Karin",
    "Leila",
    "Liam",
    "Lucia",
    "Mateo",
    "Maya",
    "Mei",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Paula",
    "Priya",
    "Rafael",
    "Rosa",
    "Sami",
    "Sara",
    "Sofia",
    "Tariq",
    "Teresa",
    "Tom",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Yusuf",
    "Zoe",
)
LAST_NAMES = (
    "Adams",
    "Alvarez",
    "Andersen",
    "Baker",
    "Bianchi",
    "Costa",
    "Dubois",
    "Eze",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kim",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Martin",
    "Meyer",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Suzuki",
    "Tanaka",
    "Umar",
    "Varga",
    "Weber",
    "Wong",
    "Yilmaz",
    "Zhang",
)
JOB_TITLES = (
    "Site Reliability Engineer",
    "Software Engineer",
    "Senior Engineer",
    "Engineering Manager",
    "Support Engineer",
    "Product Manager",
    "Director of Engineering",
    "Security Engineer",
    "Customer Success Manager",
    "Data Engineer",
)
TIME_ZONES = (
    "Etc/UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Lisbon",
    "America/New_York",
    "America/Los_Angeles",
    "America/Lima",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
)
COLORS = ("green", "red", "purple", "teal", "orange", "blue", "brown", "cayenne", "lime")
TEAM_NAMES = (
    "Platform",
    "Payments",
    "Checkout",
    "Identity",
    "Data",
    "Mobile",
    "Search",
    "Security",
    "Infrastructure",
    "Support Tooling",
    "Billing",
    "Growth",
    "Messaging",
    "Storage",
    "Edge",
)
SERVICE_COMPONENTS = (
    "Checkout API",
    "Payments Gateway",
    "Login Service",
    "Search Indexer",
    "Email Delivery",
    "Mobile Backend",
    "Billing Worker",
    "Data Warehouse",
    "Edge Proxy",
    "Object Storage",
    "Notification Fanout",
    "Admin Console",
    "Reporting Jobs",
    "Webhooks",
    "Inventory Sync",
    "Fraud Scoring",
    "Customer Portal",
    "Message Queue",
    "Primary Database",
    "Cache Cluster",
)
INCIDENT_TITLES = (
    "High error rate on {service}",
    "{service}: p99 latency above threshold",
    "{service} health check failing",
    "Disk usage above 90% on {service} hosts",
    "{service} returning 5xx to customers",
    "Queue backlog growing for {service}",
    "Certificate expiring soon for {service}",
    "{service}: replication lag above 5 minutes",
    "Memory pressure on {service} pods",
    "{service} deploy rolled back automatically",
    "Backup job failed for {service}",
    "{service}: elevated login failures",
)
INVESTIGATION_NOTES = (
    "Looking into it, paging the owning team.",
    "Rolled back the last deploy; error rate dropping.",
    "Customer support informed; status page updated.",
    "Root cause looks like an expired credential.",
    "Scaled the worker pool from 4 to 8.",
    "Vendor confirmed an outage on their side.",
)
RESOLUTION_NOTES = (
    "Resolved after restarting the stuck consumer.",
    "Fixed by rotating the expired certificate.",
    "Transient network issue at the provider; no action needed.",
    "Capacity added; monitoring for 24 hours.",
    "False positive: alert threshold tuned.",
)
# Notes that a compliance reviewer must see: every one mentions data loss, in varied spelling.
# Each is paired with whether data was really lost (the `data_loss` custom field, when set).
DATA_LOSS_NOTES: tuple[tuple[str, bool], ...] = (
    ("Confirmed data loss: about 200 order records were not persisted.", True),
    ("No DATA LOSS observed after replaying the queue.", False),
    ("Possible Data Loss for uploads between 10:02 and 10:14, customers notified.", True),
    ("dataloss check done - none found", False),
    ("Partial DataLoss in the analytics export; backfilled from the replica.", True),
    ("Data loss limited to cached sessions; users had to sign in again.", True),
)
TRIGGER_CHANNELS = ("api", "email", "web_trigger")
NOTIFICATION_TYPES = (
    "sms_notification",
    "phone_notification",
    "push_notification",
    "email_notification",
)
ENVIRONMENTS = ("production", "staging")

LOG_KIND_TRIGGER = "trigger_log_entry"
LOG_KIND_ASSIGN = "assign_log_entry"
LOG_KIND_NOTIFY = "notify_log_entry"
LOG_KIND_ACKNOWLEDGE = "acknowledge_log_entry"
LOG_KIND_ANNOTATE = "annotate_log_entry"
LOG_KIND_RESOLVE = "resolve_log_entry"
LOG_KIND_CODES = {
    LOG_KIND_TRIGGER: 1,
    LOG_KIND_ASSIGN: 2,
    LOG_KIND_NOTIFY: 3,
    LOG_KIND_ACKNOWLEDGE: 4,
    LOG_KIND_ANNOTATE: 5,
    LOG_KIND_RESOLVE: 6,
}
# Entries PagerDuty keeps when `is_overview=true`: status changes and notes, not the noise.
OVERVIEW_LOG_KINDS = frozenset(
    {LOG_KIND_TRIGGER, LOG_KIND_ACKNOWLEDGE, LOG_KIND_ANNOTATE, LOG_KIND_RESOLVE}
)
OVERVIEW_LOG_KIND_CODES = frozenset(LOG_KIND_CODES[kind] for kind in OVERVIEW_LOG_KINDS)


class NotFoundError(LookupError):
    """The object does not exist in the stand-in account (the server answers 404)."""


class InvalidRequestError(ValueError):
    """A request argument the stand-in cannot accept (the server answers 400)."""


# ----------------------------------------------------------------------------- time helpers


def format_timestamp(epoch_seconds: int | float | None, zone: tzinfo | None = None) -> str | None:
    """Render a time as PagerDuty does: `Z` by default, a numeric offset in a requested zone."""
    if epoch_seconds is None:
        return None
    if zone is None:
        return datetime.fromtimestamp(int(epoch_seconds), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.fromtimestamp(int(epoch_seconds), tz=zone).isoformat(timespec="seconds")


def format_naive_timestamp(
    epoch_seconds: int | float | None, zone: tzinfo | None = None
) -> str | None:
    """Render a time without an offset, as the analytics endpoints do (in the request's zone)."""
    if epoch_seconds is None:
        return None
    moment = datetime.fromtimestamp(int(epoch_seconds), tz=zone or UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def add_months(moment: datetime, months: int) -> datetime:
    """Shift by calendar months, clamping the day (Mar 31 minus one month is Feb 28/29)."""
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    days_in_month = (
        datetime(year + (month == 12), month % 12 + 1, 1) - datetime(year, month, 1)
    ).days
    return moment.replace(year=year, month=month, day=min(moment.day, days_in_month))


def to_base36(number: int, width: int) -> str:
    """Fixed-width upper-case base-36, used for compact decodable log entry ids."""
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 36)
        digits.append(BASE36_DIGITS[remainder])
    if number:
        raise ValueError("number does not fit the width")
    return "".join(reversed(digits))


def from_base36(text: str) -> int:
    """Inverse of `to_base36`."""
    return int(text, 36)


# ----------------------------------------------------------------------------- records


@dataclass
class Team:
    """A PagerDuty team; services and users reference it."""

    id: str
    name: str
    description: str
    escalation_policy_id: str


@dataclass
class Integration:
    """A service integration: an email inbox address or an Events API v2 routing key."""

    id: str
    type: str
    name: str
    created_at: int
    integration_email: str | None = None
    integration_key: str | None = None


@dataclass
class Service:
    """A PagerDuty service. `status` is derived from its open incidents unless disabled."""

    index: int
    id: str
    name: str
    description: str
    created_at: int
    team_index: int
    disabled: bool
    integrations: list[Integration]
    auto_resolve_timeout: int | None
    acknowledgement_timeout: int | None
    triggered_count: int = 0
    acknowledged_count: int = 0
    last_incident_at: int | None = None


@dataclass
class Priority:
    """An incident priority; the list is ordered most to least severe."""

    id: str
    name: str
    description: str
    color: str


@dataclass
class User:
    """A PagerDuty user. `removed_at` is set when a control call deletes the user."""

    index: int
    id: str
    name: str
    email: str
    role: str
    time_zone: str
    color: str
    job_title: str
    description: str | None
    invitation_sent: bool
    created_via_sso: bool
    created_at: int
    last_sign_in_at: int | None
    team_indices: tuple[int, ...]
    contact_method_id: str
    notification_rule_id: str
    removed_at: int | None = None


@dataclass
class License:
    """A license tier; each user holds the one whose `valid_roles` contain their role."""

    id: str
    name: str
    description: str
    role_group: str
    valid_roles: tuple[str, ...]
    purchased: int


@dataclass
class CustomField:
    """An incident custom field definition (values live on the incidents)."""

    id: str
    name: str
    display_name: str
    data_type: str
    field_type: str


class Note:
    """A note on an incident; a resolution note is the one added together with the resolve."""

    __slots__ = ("id", "user_index", "content", "created_at")

    def __init__(self, note_id: str, user_index: int, content: str, created_at: int) -> None:
        self.id = note_id
        self.user_index = user_index
        self.content = content
        self.created_at = created_at


class Incident:
    """One incident, stored compactly; its API shape is built only when a page needs it.

    `generated_note_count` and `extra_log_entries` keep log entry sequence numbers stable: the
    entries derived at generation time come first, and later control actions only append.
    """

    __slots__ = (
        "index",
        "id",
        "number",
        "created_at",
        "updated_at",
        "service_index",
        "urgency",
        "priority_index",
        "status",
        "assignee_index",
        "acknowledged_at",
        "acknowledger_index",
        "resolved_at",
        "resolver_index",
        "alert_count",
        "notification_types",
        "title_index",
        "incident_key",
        "trigger_channel",
        "notes",
        "generated_note_count",
        "generated_resolve",
        "data_loss",
        "environment",
        "extra_log_entries",
    )

    def __init__(self) -> None:
        self.id: str | None = None
        self.notes: list[Note] | None = None
        self.generated_note_count = 0
        self.generated_resolve = False
        self.extra_log_entries: list[LogEntryRecord] | None = None
        self.data_loss: bool | None = None
        self.environment: str | None = None

    @property
    def last_status_change_at(self) -> int:
        """PagerDuty's `last_status_change_at`: the latest trigger, acknowledge or resolve."""
        if self.status == RESOLVED:
            return self.resolved_at
        if self.status == ACKNOWLEDGED and self.acknowledged_at is not None:
            return self.acknowledged_at
        return self.created_at


class LogEntryRecord:
    """One log entry: kind, time, who did it (-1 means the service) and kind-specific detail."""

    __slots__ = ("kind", "at", "actor_index", "detail", "sequence")

    def __init__(
        self, kind: str, at: int, actor_index: int, detail: Any, sequence: int = 0
    ) -> None:
        self.kind = kind
        self.at = at
        self.actor_index = actor_index
        self.detail = detail
        self.sequence = sequence


# ----------------------------------------------------------------------------- generation


class _IdFactory:
    """Hands out unique PagerDuty-looking ids (`P` + 6 characters) from a seeded stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def next_id(self, prefix: str = "P") -> str:
        while True:
            number = self.rng.getrandbits(31) % 36**6
            candidate = (
                prefix
                + BASE36_PAIRS[number // 1_679_616]
                + BASE36_PAIRS[number // 1296 % 1296]
                + BASE36_PAIRS[number % 1296]
            )
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate


def _slug(text: str) -> str:
    return "".join(character if character.isalnum() else "-" for character in text.lower()).strip(
        "-"
    )


def generate_dataset(
    *,
    seed: int = 1,
    incident_count: int = 5000,
    user_count: int = 300,
    service_count: int = 20,
    now: datetime | None = None,
    subdomain: str = "demo",
    team_count: int | None = None,
) -> Dataset:
    """Build a whole account: teams, services, priorities, users, licenses and incidents.

    Each kind of object has its own random stream derived from the seed, so changing the number
    of incidents does not change the users, and vice versa. `now` anchors every generated time;
    pass it to get byte-identical data across runs.
    """
    now_epoch = int((now or datetime.now(UTC)).timestamp())
    user_count = max(1, user_count)
    service_count = max(1, service_count)
    incident_count = max(0, incident_count)
    team_count = team_count or max(2, min(len(TEAM_NAMES) * 3, user_count // 40 + 2))

    ids = _IdFactory(random.Random(f"{seed}:ids"))
    account_id = ids.next_id()

    teams = _generate_teams(random.Random(f"{seed}:teams"), ids, team_count)
    services = _generate_services(
        random.Random(f"{seed}:services"), ids, service_count, len(teams), subdomain, now_epoch
    )
    priorities = [
        Priority(ids.next_id(), name, description, color)
        for name, description, color in (
            ("P1", "Critical: customer-facing outage", "a8171c"),
            ("P2", "High: degraded service for many customers", "eb6016"),
            ("P3", "Moderate: limited impact", "f9b406"),
            ("P4", "Low: no customer impact yet", "0d7eac"),
            ("P5", "Informational", "9c9c9c"),
        )
    ]
    users = _generate_users(random.Random(f"{seed}:users"), ids, user_count, len(teams), now_epoch)
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
    custom_fields = [
        CustomField(ids.next_id(), "data_loss", "Data loss", "boolean", "single_value"),
        CustomField(ids.next_id(), "environment", "Environment", "string", "single_value_fixed"),
    ]
    dataset = Dataset(
        ids=ids,
        seed=seed,
        now=now_epoch,
        subdomain=subdomain,
        account_id=account_id,
        teams=teams,
        services=services,
        priorities=priorities,
        users=users,
        licenses=licenses,
        custom_fields=custom_fields,
    )
    _generate_incidents(random.Random(f"{seed}:incidents"), dataset, incident_count)
    return dataset


def _generate_teams(rng: random.Random, ids: _IdFactory, team_count: int) -> list[Team]:
    teams = []
    for team_index in range(team_count):
        base_name = TEAM_NAMES[team_index % len(TEAM_NAMES)]
        round_number = team_index // len(TEAM_NAMES)
        name = base_name if round_number == 0 else f"{base_name} {round_number + 1}"
        teams.append(
            Team(ids.next_id(), name, f"The {name} team", escalation_policy_id=ids.next_id())
        )
    rng.shuffle(teams)
    return teams


def _generate_services(
    rng: random.Random,
    ids: _IdFactory,
    service_count: int,
    team_count: int,
    subdomain: str,
    now_epoch: int,
) -> list[Service]:
    services = []
    for service_index in range(service_count):
        base_name = SERVICE_COMPONENTS[service_index % len(SERVICE_COMPONENTS)]
        round_number = service_index // len(SERVICE_COMPONENTS)
        name = base_name if round_number == 0 else f"{base_name} {round_number + 1}"
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


def _generate_users(
    rng: random.Random, ids: _IdFactory, user_count: int, team_count: int, now_epoch: int
) -> list[User]:
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


def _generate_incidents(rng: random.Random, dataset: Dataset, incident_count: int) -> None:
    """Spread incidents over the last two years; about one in ten is still open.

    This loop runs 100,000 times for a benchmark account, so it draws plain `random()` values
    and indexes tuples instead of calling `choice`, which is several times slower.
    """
    now_epoch = dataset.now
    start = now_epoch - INCIDENT_HISTORY_DAYS * SECONDS_PER_DAY
    creation_span = now_epoch - 120 - start
    draw = rng.random
    created_times = sorted(start + int(draw() * creation_span) for _ in range(incident_count))
    enabled_services = [service for service in dataset.services if not service.disabled]
    enabled_services = enabled_services or dataset.services
    cumulative_weights = list(
        itertools.accumulate(rng.paretovariate(1.2) for _ in enabled_services)
    )
    total_weight = cumulative_weights[-1]
    services_with_email = {
        service.index
        for service in enabled_services
        if any(integration.integration_email for integration in service.integrations)
    }
    responders = [
        user.index
        for user in dataset.users
        if user.role in RESPONDER_ROLES and not user.invitation_sent
    ] or [0]
    priority_choices = (0, 1, 2, 2, 3, 3, 3, 4, 4)
    notification_counts = (1, 1, 2, 3)
    shared_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
    title_count = len(INCIDENT_TITLES)
    recent_cutoff = now_epoch - 2 * SECONDS_PER_DAY

    def pick(options: Sequence[Any]) -> Any:
        return options[int(draw() * len(options))]

    for created_at in created_times:
        service = enabled_services[bisect.bisect_left(cumulative_weights, draw() * total_weight)]
        incident = Incident()
        incident.created_at = created_at
        incident.service_index = service.index
        incident.urgency = "high" if draw() < 0.7 else "low"
        incident.priority_index = pick(priority_choices) if draw() < 0.4 else -1
        incident.title_index = int(draw() * title_count)
        incident.incident_key = rng.getrandbits(128)
        channel_roll = draw()
        if service.index in services_with_email and channel_roll < 0.3:
            incident.trigger_channel = "email"
        elif channel_roll > 0.92:
            incident.trigger_channel = "web_trigger"
        else:
            incident.trigger_channel = "api"
        incident.alert_count = 1 + int(rng.expovariate(0.7))
        notification_types = tuple(
            pick(NOTIFICATION_TYPES) for _ in range(pick(notification_counts))
        )
        incident.notification_types = shared_tuples.setdefault(
            notification_types, notification_types
        )
        assignee_index = pick(responders)
        incident.assignee_index = assignee_index
        acknowledged_at = created_at + 30 + int(rng.expovariate(1 / 300)) if draw() < 0.75 else None
        resolve_after = (acknowledged_at or created_at) + 60 + int(rng.expovariate(1 / 5400))
        stays_open = draw() < (0.5 if created_at > recent_cutoff else 0.09)
        if acknowledged_at is not None and acknowledged_at >= now_epoch:
            acknowledged_at = None
        if stays_open or resolve_after >= now_epoch:
            if acknowledged_at is not None and draw() < 0.5:
                incident.status = ACKNOWLEDGED
            else:
                incident.status = TRIGGERED
                acknowledged_at = None
            incident.resolved_at = None
            incident.resolver_index = -1
        else:
            incident.status = RESOLVED
            incident.resolved_at = resolve_after
            incident.generated_resolve = True
            incident.resolver_index = -1 if draw() < 0.2 else assignee_index
        incident.acknowledged_at = acknowledged_at
        incident.acknowledger_index = assignee_index if acknowledged_at is not None else -1
        notes: list[Note] = []
        if draw() < 0.12:
            latest = incident.resolved_at or now_epoch
            for _ in range(1 if draw() < 0.7 else 2):
                note_at = min(latest, created_at + 60 + int(rng.expovariate(1 / 1800)))
                notes.append(
                    Note(dataset.ids.next_id(), assignee_index, pick(INVESTIGATION_NOTES), note_at)
                )
        if incident.status == RESOLVED:
            note_roll = draw()
            resolution_text = None
            if note_roll < 0.035:
                resolution_text, data_was_lost = pick(DATA_LOSS_NOTES)
                if draw() < 0.6:
                    incident.data_loss = data_was_lost
            elif note_roll < 0.2:
                resolution_text = pick(RESOLUTION_NOTES)
            if resolution_text:
                author = incident.resolver_index if incident.resolver_index >= 0 else assignee_index
                notes.append(
                    Note(dataset.ids.next_id(), author, resolution_text, incident.resolved_at)
                )
        if incident.data_loss is None and draw() < 0.03:
            incident.data_loss = draw() < 0.3
        if draw() < 0.3:
            incident.environment = pick(ENVIRONMENTS)
        if notes:
            notes.sort(key=lambda note: note.created_at)
            incident.notes = notes
            incident.generated_note_count = len(notes)
        dataset.append_incident(incident)


# ----------------------------------------------------------------------------- the dataset


@dataclass
class IncidentQuery:
    """The filters of `GET /incidents`, already validated and resolved to epoch seconds."""

    since: int | None = None
    until: int | None = None
    statuses: frozenset[str] | None = None
    service_ids: frozenset[str] | None = None
    team_ids: frozenset[str] | None = None
    urgencies: frozenset[str] | None = None
    incident_key: str | None = None
    descending: bool = False

    def cache_key(self) -> tuple[Any, ...]:
        return (
            self.since,
            self.until,
            self.statuses,
            self.service_ids,
            self.team_ids,
            self.urgencies,
            self.incident_key,
            self.descending,
        )


@dataclass
class Dataset:
    """The whole stand-in account plus the indexes that keep each request cheap.

    All reads and writes go through `lock`; every write bumps `version`, which invalidates the
    small cache of filtered incident queries.
    """

    ids: _IdFactory
    seed: int
    now: int
    subdomain: str
    account_id: str
    teams: list[Team]
    services: list[Service]
    priorities: list[Priority]
    users: list[User]
    licenses: list[License]
    custom_fields: list[CustomField]
    incidents: list[Incident] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    version: int = 0
    clock: Callable[[], float] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.created_times = array("q")
        self.open_incident_indices: list[int] = []
        self.incident_indices_by_service: list[list[int]] = [[] for _ in self.services]
        self.incident_by_id: dict[str, Incident] = {}
        self.service_by_id = {service.id: service for service in self.services}
        self.team_by_id = {team.id: team for team in self.teams}
        self.priority_by_id = {priority.id: priority for priority in self.priorities}
        self.user_by_id = {user.id: user for user in self.users}
        self.user_by_email = {user.email.lower(): user for user in self.users}
        self.users_sorted_by_name = sorted(
            self.users, key=lambda user: (user.name.lower(), user.id)
        )
        self.services_sorted_by_name = sorted(
            self.services, key=lambda service: service.name.lower()
        )
        self.log_entry_salt = to_base36(random.Random(f"{self.seed}:log-salt").randrange(36**4), 4)
        self._incident_key_index: dict[str, int] | None = None
        self._log_times: array | None = None
        self._log_keys: array | None = None
        self._log_kinds: array | None = None
        self._query_cache: OrderedDict[tuple[Any, ...], Sequence[Any]] = OrderedDict()

    def current_time(self) -> int:
        """The data clock: the server's clock when attached, else the generation `now`."""
        return int(self.clock()) if self.clock else self.now

    # -- incidents: storage and indexes ------------------------------------------------------

    def append_incident(self, incident: Incident) -> None:
        """Add an incident at the end of creation order and update every index."""
        if self.created_times and incident.created_at < self.created_times[-1]:
            incident.created_at = self.created_times[-1]
        incident.index = len(self.incidents)
        incident.number = incident.index + 1
        if incident.id is None:
            incident.id = self.ids.next_id()
        incident.updated_at = max(
            incident.created_at,
            incident.acknowledged_at or 0,
            incident.resolved_at or 0,
            max((note.created_at for note in incident.notes or ()), default=0),
        )
        self.incidents.append(incident)
        self.created_times.append(incident.created_at)
        self.incident_by_id[incident.id] = incident
        self.incident_indices_by_service[incident.service_index].append(incident.index)
        service = self.services[incident.service_index]
        service.last_incident_at = incident.created_at
        if incident.status in OPEN_STATUSES:
            self.open_incident_indices.append(incident.index)
            if incident.status == TRIGGERED:
                service.triggered_count += 1
            else:
                service.acknowledged_count += 1
        if self._incident_key_index is not None:
            self._incident_key_index[self.incident_key_text(incident)] = incident.index
        if self._log_times is not None:
            for record in self.incident_log_entries(incident):
                self._insert_log_index(record, incident.index)

    def get_incident(self, incident_id: str) -> Incident:
        incident = self.incident_by_id.get(incident_id)
        if incident is None:
            raise NotFoundError(incident_id)
        return incident

    def incident_key_text(self, incident: Incident) -> str:
        return f"{incident.incident_key:032x}"

    def incident_title(self, incident: Incident) -> str:
        return INCIDENT_TITLES[incident.title_index].format(
            service=self.services[incident.service_index].name
        )

    def window_bounds(self, since: int | None, until: int | None) -> tuple[int, int]:
        """Index range of incidents created in [since, until) - two bisections."""
        low = 0 if since is None else bisect.bisect_left(self.created_times, since)
        high = (
            len(self.incidents) if until is None else bisect.bisect_left(self.created_times, until)
        )
        return low, max(low, high)

    def query_incidents(self, query: IncidentQuery) -> Sequence[int]:
        """Indices of matching incidents in the requested order.

        The cheapest candidate set is chosen first (a plain index range, the open-incident
        index, or the per-service indexes), so a window without filters costs nothing and a
        filtered query scans its candidates once; the result is cached until the data changes,
        so paging through it with `offset` costs only the slice.
        """
        cache_key = (self.version, *query.cache_key())
        cached = self._query_cache.get(cache_key)
        if cached is not None:
            self._query_cache.move_to_end(cache_key)
            return cached
        low, high = self.window_bounds(query.since, query.until)
        statuses = query.statuses
        if statuses is not None and statuses >= ALL_STATUSES:
            statuses = None
        urgencies = query.urgencies
        if urgencies is not None and urgencies >= {"high", "low"}:
            urgencies = None
        service_indices: set[int] | None = None
        if query.service_ids is not None:
            service_indices = {
                self.service_by_id[service_id].index
                for service_id in query.service_ids
                if service_id in self.service_by_id
            }
        if query.team_ids is not None:
            team_service_indices = {
                service.index
                for service in self.services
                if self.teams[service.team_index].id in query.team_ids
            }
            service_indices = (
                team_service_indices
                if service_indices is None
                else service_indices & team_service_indices
            )

        candidates: Sequence[int]
        if query.incident_key is not None:
            key_index = self._incident_key_lookup().get(query.incident_key.lower())
            candidates = [key_index] if key_index is not None and low <= key_index < high else []
        elif statuses is not None and statuses <= OPEN_STATUSES:
            open_indices = self.open_incident_indices
            candidates = open_indices[
                bisect.bisect_left(open_indices, low) : bisect.bisect_left(open_indices, high)
            ]
        elif service_indices is not None:
            merged: list[int] = []
            for service_index in service_indices:
                indices = self.incident_indices_by_service[service_index]
                merged.extend(
                    indices[bisect.bisect_left(indices, low) : bisect.bisect_left(indices, high)]
                )
            merged.sort()
            candidates = merged
            service_indices = None
        else:
            candidates = range(low, high)

        if statuses is not None or urgencies is not None or service_indices is not None:
            incidents = self.incidents
            candidates = [
                index
                for index in candidates
                if (statuses is None or incidents[index].status in statuses)
                and (urgencies is None or incidents[index].urgency in urgencies)
                and (service_indices is None or incidents[index].service_index in service_indices)
            ]
        if query.descending:
            candidates = candidates[::-1]
        self._query_cache[cache_key] = candidates
        while len(self._query_cache) > 64:
            self._query_cache.popitem(last=False)
        return candidates

    def _incident_key_lookup(self) -> dict[str, int]:
        if self._incident_key_index is None:
            self._incident_key_index = {
                self.incident_key_text(incident): incident.index for incident in self.incidents
            }
        return self._incident_key_index

    # -- log entries -------------------------------------------------------------------------

    def incident_log_entries(self, incident: Incident) -> list[LogEntryRecord]:
        """Every log entry of one incident, in sequence order (stable across mutations)."""
        created_at = incident.created_at
        actor = incident.assignee_index
        records = [
            LogEntryRecord(LOG_KIND_TRIGGER, created_at, -1, incident.trigger_channel),
            LogEntryRecord(LOG_KIND_ASSIGN, created_at, -1, actor),
        ]
        for offset, notification_type in enumerate(incident.notification_types):
            records.append(
                LogEntryRecord(
                    LOG_KIND_NOTIFY, created_at + 5 + 60 * offset, -1, (actor, notification_type)
                )
            )
        if incident.acknowledged_at is not None and (
            incident.extra_log_entries is None
            or all(extra.kind != LOG_KIND_ACKNOWLEDGE for extra in incident.extra_log_entries)
        ):
            records.append(
                LogEntryRecord(
                    LOG_KIND_ACKNOWLEDGE,
                    incident.acknowledged_at,
                    incident.acknowledger_index,
                    None,
                )
            )
        for note in (incident.notes or ())[: incident.generated_note_count]:
            records.append(
                LogEntryRecord(LOG_KIND_ANNOTATE, note.created_at, note.user_index, note)
            )
        if incident.generated_resolve:
            records.append(
                LogEntryRecord(
                    LOG_KIND_RESOLVE, incident.resolved_at, incident.resolver_index, None
                )
            )
        records.extend(incident.extra_log_entries or ())
        for sequence, record in enumerate(records):
            record.sequence = sequence
        return records

    def log_entry_id(self, incident: Incident, sequence: int) -> str:
        """A 14-character id that encodes the incident and the entry, so lookups need no table."""
        return (
            "R" + to_base36(incident.index, 5) + to_base36(sequence, 2) + self.log_entry_salt + "LE"
        )

    def find_log_entry(self, log_entry_id: str) -> tuple[Incident, LogEntryRecord]:
        """Decode a log entry id back to its incident and record."""
        if (
            len(log_entry_id) != 14
            or not log_entry_id.startswith("R")
            or log_entry_id[8:12] != self.log_entry_salt
        ):
            raise NotFoundError(log_entry_id)
        try:
            incident_index = from_base36(log_entry_id[1:6])
            sequence = from_base36(log_entry_id[6:8])
        except ValueError as error:
            raise NotFoundError(log_entry_id) from error
        if incident_index >= len(self.incidents):
            raise NotFoundError(log_entry_id)
        incident = self.incidents[incident_index]
        records = self.incident_log_entries(incident)
        if sequence >= len(records):
            raise NotFoundError(log_entry_id)
        return incident, records[sequence]

    def _ensure_log_index(self) -> None:
        """Build the account-wide time index of log entries once, on first use."""
        if self._log_times is not None:
            return
        entries = []
        kind_codes = LOG_KIND_CODES
        for incident in self.incidents:
            base = incident.index * LOG_ENTRY_SEQUENCE_SLOTS
            for record in self.incident_log_entries(incident):
                entries.append((record.at, base + record.sequence, kind_codes[record.kind]))
        entries.sort()
        self._log_times = array("q", [entry[0] for entry in entries])
        self._log_keys = array("q", [entry[1] for entry in entries])
        self._log_kinds = array("b", [entry[2] for entry in entries])

    def _insert_log_index(self, record: LogEntryRecord, incident_index: int) -> None:
        position = bisect.bisect_right(self._log_times, record.at)
        self._log_times.insert(position, record.at)
        self._log_keys.insert(position, incident_index * LOG_ENTRY_SEQUENCE_SLOTS + record.sequence)
        self._log_kinds.insert(position, LOG_KIND_CODES[record.kind])

    def query_log_entries(
        self, *, since: int | None, until: int | None, overview_only: bool
    ) -> Sequence[tuple[int, int]]:
        """(incident index, sequence) pairs of account log entries in [since, until), newest first."""
        self._ensure_log_index()
        cache_key = (self.version, "log", since, until, overview_only)
        cached = self._query_cache.get(cache_key)
        if cached is not None:
            return cached
        low = 0 if since is None else bisect.bisect_left(self._log_times, since)
        high = len(self._log_times) if until is None else bisect.bisect_left(self._log_times, until)
        result: Sequence[tuple[int, int]] = _LogKeyView(self._log_keys, low, max(low, high))
        if overview_only:
            kinds = self._log_kinds
            result = [
                divmod(self._log_keys[position], LOG_ENTRY_SEQUENCE_SLOTS)
                for position in range(max(low, high) - 1, low - 1, -1)
                if kinds[position] in OVERVIEW_LOG_KIND_CODES
            ]
        self._query_cache[cache_key] = result
        while len(self._query_cache) > 64:
            self._query_cache.popitem(last=False)
        return result

    # -- mutations (control endpoints) ------------------------------------------------------

    def _changed(self) -> None:
        self.version += 1
        self._query_cache.clear()

    def _add_extra_log_entry(self, incident: Incident, record: LogEntryRecord) -> None:
        if incident.extra_log_entries is None:
            incident.extra_log_entries = []
        incident.extra_log_entries.append(record)
        if self._log_times is not None:
            record.sequence = len(self.incident_log_entries(incident)) - 1
            self._insert_log_index(record, incident.index)

    def _set_status(self, incident: Incident, status: str) -> None:
        service = self.services[incident.service_index]
        if incident.status == TRIGGERED:
            service.triggered_count -= 1
        elif incident.status == ACKNOWLEDGED:
            service.acknowledged_count -= 1
        if status == TRIGGERED:
            service.triggered_count += 1
        elif status == ACKNOWLEDGED:
            service.acknowledged_count += 1
        was_open = incident.status in OPEN_STATUSES
        incident.status = status
        if was_open and status == RESOLVED:
            position = bisect.bisect_left(self.open_incident_indices, incident.index)
            if (
                position < len(self.open_incident_indices)
                and self.open_incident_indices[position] == incident.index
            ):
                del self.open_incident_indices[position]

    def add_note(self, incident_id: str, content: str, user_id: str | None = None) -> Note:
        """Add a note as a responder would; it shows in /notes and as an annotate log entry."""
        with self.lock:
            incident = self.get_incident(incident_id)
            user_index = self._user_index_or_default(user_id, incident)
            at = max(self.current_time(), incident.created_at)
            note = Note(self.ids.next_id(), user_index, content, at)
            incident.notes = [*(incident.notes or ()), note]
            incident.updated_at = max(incident.updated_at, at)
            self._add_extra_log_entry(
                incident, LogEntryRecord(LOG_KIND_ANNOTATE, at, user_index, note)
            )
            self._changed()
            return note

    def acknowledge_incident(self, incident_id: str, user_id: str | None = None) -> Incident:
        """Acknowledge an open incident (no-op for one already acknowledged or resolved)."""
        with self.lock:
            incident = self.get_incident(incident_id)
            if incident.status != TRIGGERED:
                return incident
            user_index = self._user_index_or_default(user_id, incident)
            at = max(self.current_time(), incident.created_at)
            incident.acknowledged_at = at
            incident.acknowledger_index = user_index
            self._set_status(incident, ACKNOWLEDGED)
            incident.updated_at = at
            self._add_extra_log_entry(
                incident, LogEntryRecord(LOG_KIND_ACKNOWLEDGE, at, user_index, None)
            )
            self._changed()
            return incident

    def resolve_incident(
        self, incident_id: str, note: str | None = None, user_id: str | None = None
    ) -> Incident:
        """Resolve an incident now, optionally with a resolution note, as a responder would.

        Only `updated_at`, `last_status_change_at` and `resolved_at` move; `created_at` does not,
        which is why a sync that only asks for incidents created since its last run never sees
        this change.
        """
        with self.lock:
            incident = self.get_incident(incident_id)
            if incident.status == RESOLVED:
                return incident
            user_index = self._user_index_or_default(user_id, incident)
            at = max(self.current_time(), incident.created_at)
            if note:
                note_record = Note(self.ids.next_id(), user_index, note, at)
                incident.notes = [*(incident.notes or ()), note_record]
                self._add_extra_log_entry(
                    incident, LogEntryRecord(LOG_KIND_ANNOTATE, at, user_index, note_record)
                )
            incident.resolved_at = at
            incident.resolver_index = user_index
            self._set_status(incident, RESOLVED)
            incident.updated_at = at
            self._add_extra_log_entry(
                incident, LogEntryRecord(LOG_KIND_RESOLVE, at, user_index, None)
            )
            self._changed()
            return incident

    def add_incidents(
        self,
        count: int,
        *,
        status: str = TRIGGERED,
        service_id: str | None = None,
        urgency: str | None = None,
    ) -> list[Incident]:
        """Create new incidents at the current time (after every existing one)."""
        if status not in ALL_STATUSES:
            raise InvalidRequestError(f"unknown status {status!r}")
        if urgency is not None and urgency not in ("high", "low"):
            raise InvalidRequestError(f"unknown urgency {urgency!r}")
        with self.lock:
            rng = random.Random(f"{self.seed}:added:{len(self.incidents)}")
            if service_id is not None and service_id not in self.service_by_id:
                raise NotFoundError(service_id)
            responders = [
                user.index
                for user in self.users
                if user.role in RESPONDER_ROLES and user.removed_at is None
            ] or [0]
            created: list[Incident] = []
            for _ in range(max(0, count)):
                at = max(self.current_time(), self.created_times[-1] if self.created_times else 0)
                service = (
                    self.service_by_id[service_id]
                    if service_id
                    else rng.choice([s for s in self.services if not s.disabled] or self.services)
                )
                incident = Incident()
                incident.id = self.ids.next_id()
                incident.created_at = at
                incident.service_index = service.index
                incident.urgency = urgency or ("high" if rng.random() < 0.7 else "low")
                incident.priority_index = -1
                incident.title_index = rng.randrange(len(INCIDENT_TITLES))
                incident.incident_key = rng.getrandbits(128)
                incident.trigger_channel = "api"
                incident.alert_count = 1
                incident.notification_types = (rng.choice(NOTIFICATION_TYPES),)
                incident.assignee_index = rng.choice(responders)
                incident.status = status
                incident.acknowledged_at = at if status in (ACKNOWLEDGED, RESOLVED) else None
                incident.acknowledger_index = (
                    incident.assignee_index if incident.acknowledged_at else -1
                )
                incident.resolved_at = at if status == RESOLVED else None
                incident.resolver_index = incident.assignee_index if status == RESOLVED else -1
                incident.generated_resolve = status == RESOLVED
                self.append_incident(incident)
                created.append(incident)
            self._changed()
            return created

    def remove_user(self, user_id: str) -> User:
        """Delete a user: they vanish from /users and lose their license, as in PagerDuty."""
        with self.lock:
            user = self.user_by_id.get(user_id)
            if user is None or user.removed_at is not None:
                raise NotFoundError(user_id)
            user.removed_at = self.current_time()
            self._changed()
            return user

    def record_sign_in(self, user_id: str) -> User:
        """Move a user's `last_sign_in_at` to now (what analytics will report)."""
        with self.lock:
            user = self.get_user(user_id)
            user.last_sign_in_at = self.current_time()
            self._changed()
            return user

    def _user_index_or_default(self, user_id: str | None, incident: Incident) -> int:
        if user_id is None:
            return incident.assignee_index
        user = self.user_by_id.get(user_id)
        if user is None:
            raise NotFoundError(user_id)
        return user.index

    # -- users, licenses ---------------------------------------------------------------------

    def active_users(self) -> list[User]:
        """Users that still exist, sorted by name as PagerDuty lists them."""
        return [user for user in self.users_sorted_by_name if user.removed_at is None]

    def get_user(self, user_id: str) -> User:
        user = self.user_by_id.get(user_id)
        if user is None or user.removed_at is not None:
            raise NotFoundError(user_id)
        return user

    def license_for_role(self, role: str) -> License | None:
        for license_tier in self.licenses:
            if role in license_tier.valid_roles:
                return license_tier
        return None

    def license_allocations(self) -> list[tuple[User, License]]:
        """Which active user holds which license (invited users hold one too)."""
        allocations = []
        for user in self.users:
            if user.removed_at is not None:
                continue
            license_tier = self.license_for_role(user.role)
            if license_tier is not None:
                allocations.append((user, license_tier))
        return allocations

    # -- analytics ---------------------------------------------------------------------------

    def incident_metrics(
        self,
        *,
        start: int,
        end: int,
        service_ids: Iterable[str] | None,
        team_ids: Iterable[str] | None,
        urgency: str | None,
        priority_ids: Iterable[str] | None,
        bucket_start: Any,
    ) -> list[tuple[int | None, dict[str, Any]]]:
        """Aggregate incidents created in [start, end) per bucket, with PagerDuty's metric names.

        `bucket_start` maps a creation time to the epoch start of its bucket (None for one
        bucket over the whole period). Buckets without incidents are left out.
        """
        low, high = self.window_bounds(start, end)
        wanted_services: set[int] | None = None
        if service_ids:
            wanted_services = {
                self.service_by_id[service_id].index
                for service_id in service_ids
                if service_id in self.service_by_id
            }
        if team_ids:
            wanted_teams = set(team_ids)
            team_services = {
                service.index
                for service in self.services
                if self.teams[service.team_index].id in wanted_teams
            }
            wanted_services = (
                team_services if wanted_services is None else wanted_services & team_services
            )
        wanted_priorities = None
        if priority_ids:
            wanted_priority_ids = set(priority_ids)
            wanted_priorities = {
                index
                for index, priority in enumerate(self.priorities)
                if priority.id in wanted_priority_ids
            }
        buckets: dict[int | None, list[Incident]] = {}
        for index in range(low, high):
            incident = self.incidents[index]
            if wanted_services is not None and incident.service_index not in wanted_services:
                continue
            if urgency is not None and incident.urgency != urgency:
                continue
            if wanted_priorities is not None and incident.priority_index not in wanted_priorities:
                continue
            buckets.setdefault(bucket_start(incident.created_at), []).append(incident)
        return [
            (key, _metrics_for(incidents))
            for key, incidents in sorted(buckets.items(), key=lambda item: item[0] or 0)
        ]

    # -- summary -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Counts a test can compare with what a sync stored."""
        with self.lock:
            by_status = {TRIGGERED: 0, ACKNOWLEDGED: 0, RESOLVED: 0}
            for index in self.open_incident_indices:
                by_status[self.incidents[index].status] += 1
            by_status[RESOLVED] = (
                len(self.incidents) - by_status[TRIGGERED] - by_status[ACKNOWLEDGED]
            )
            active = [user for user in self.users if user.removed_at is None]
            data_loss_notes = sum(
                1
                for incident in self.incidents
                if incident.notes
                and any(
                    "data loss" in note.content.lower() or "dataloss" in note.content.lower()
                    for note in incident.notes
                )
            )
            return {
                "seed": self.seed,
                "now": format_timestamp(self.now),
                "account_id": self.account_id,
                "subdomain": self.subdomain,
                "services": len(self.services),
                "services_with_email_integration": sum(
                    1
                    for service in self.services
                    if any(i.integration_email for i in service.integrations)
                ),
                "teams": len(self.teams),
                "priorities": len(self.priorities),
                "users": len(active),
                "users_removed": len(self.users) - len(active),
                "users_invited": sum(1 for user in active if user.invitation_sent),
                "users_never_signed_in": sum(1 for user in active if user.last_sign_in_at is None),
                "users_by_role": _count_by(user.role for user in active),
                "license_allocations": len(self.license_allocations()),
                "incidents": len(self.incidents),
                "incidents_by_status": by_status,
                "incidents_with_priority": sum(
                    1 for incident in self.incidents if incident.priority_index >= 0
                ),
                "incidents_with_data_loss_note": data_loss_notes,
                "incidents_with_data_loss_field_true": sum(
                    1 for incident in self.incidents if incident.data_loss is True
                ),
                "first_incident_created_at": format_timestamp(self.created_times[0])
                if self.incidents
                else None,
                "last_incident_created_at": format_timestamp(self.created_times[-1])
                if self.incidents
                else None,
                "version": self.version,
            }


class _LogKeyView(Sequence):
    """A newest-first view over a slice of the packed log index, decoded on access."""

    def __init__(self, keys: array, low: int, high: int) -> None:
        self.keys = keys
        self.low = low
        self.high = high

    def __len__(self) -> int:
        return self.high - self.low

    def __getitem__(self, position: int | slice) -> Any:
        if isinstance(position, slice):
            return [self[item] for item in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        key = self.keys[self.high - 1 - position]
        return divmod(key, LOG_ENTRY_SEQUENCE_SLOTS)


def _count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))


def _percentile(sorted_values: list[int], fraction: float) -> int | None:
    if not sorted_values:
        return None
    position = min(len(sorted_values) - 1, max(0, int(round(fraction * (len(sorted_values) - 1)))))
    return sorted_values[position]


def _metrics_for(incidents: list[Incident]) -> dict[str, Any]:
    """PagerDuty's incident metrics over one bucket (only the ones a stand-in can derive)."""
    resolve_seconds = sorted(
        incident.resolved_at - incident.created_at
        for incident in incidents
        if incident.resolved_at is not None
    )
    acknowledge_seconds = sorted(
        incident.acknowledged_at - incident.created_at
        for incident in incidents
        if incident.acknowledged_at is not None
    )
    engaged_seconds = [
        incident.resolved_at - incident.acknowledged_at
        for incident in incidents
        if incident.resolved_at is not None and incident.acknowledged_at is not None
    ]
    notifications = sum(len(incident.notification_types) for incident in incidents)
    business = off_hours = sleep = 0
    for incident in incidents:
        moment = datetime.fromtimestamp(incident.created_at, tz=UTC)
        if 8 <= moment.hour < 18 and moment.weekday() < 5:
            business += 1
        elif moment.hour >= 22 or moment.hour < 8:
            sleep += 1
        else:
            off_hours += 1
    mean = lambda values: int(statistics.fmean(values)) if values else None  # noqa: E731
    return {
        "mean_assignment_count": 1 if incidents else None,
        "mean_engaged_seconds": mean(engaged_seconds),
        "mean_engaged_user_count": 1 if acknowledge_seconds else 0,
        "mean_seconds_to_engage": None,
        "mean_seconds_to_first_ack": mean(acknowledge_seconds),
        "mean_seconds_to_mobilize": None,
        "mean_seconds_to_resolve": mean(resolve_seconds),
        "mean_user_defined_engaged_seconds": mean(engaged_seconds),
        "p50_seconds_to_first_ack": _percentile(acknowledge_seconds, 0.5),
        "p50_seconds_to_resolve": _percentile(resolve_seconds, 0.5),
        "p75_seconds_to_first_ack": _percentile(acknowledge_seconds, 0.75),
        "p75_seconds_to_resolve": _percentile(resolve_seconds, 0.75),
        "p90_seconds_to_first_ack": _percentile(acknowledge_seconds, 0.9),
        "p90_seconds_to_resolve": _percentile(resolve_seconds, 0.9),
        "p95_seconds_to_first_ack": _percentile(acknowledge_seconds, 0.95),
        "p95_seconds_to_resolve": _percentile(resolve_seconds, 0.95),
        "total_business_hour_interruptions": business,
        "total_engaged_seconds": sum(engaged_seconds),
        "total_escalation_count": 0,
        "total_incident_count": len(incidents),
        "total_incidents_acknowledged": len(acknowledge_seconds),
        "total_incidents_auto_resolved": sum(
            1
            for incident in incidents
            if incident.resolved_at is not None and incident.resolver_index < 0
        ),
        "total_incidents_manual_escalated": 0,
        "total_incidents_reassigned": 0,
        "total_incidents_timeout_escalated": 0,
        "total_interruptions": notifications,
        "total_notifications": notifications,
        "total_off_hour_interruptions": off_hours,
        "total_sleep_hour_interruptions": sleep,
        "total_snoozed_seconds": 0,
        "total_user_defined_engaged_seconds": sum(engaged_seconds),
    }


# ----------------------------------------------------------------------------- cursors


def encode_cursor(payload: dict[str, Any]) -> str:
    """Opaque analytics cursor, shaped like PagerDuty's (base64 of a small JSON object)."""
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """Inverse of `encode_cursor`; a cursor that does not decode is a 400."""
    try:
        payload = json.loads(base64.b64decode(cursor.encode(), validate=True))
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidRequestError("starting_after is not a valid cursor") from error
    if not isinstance(payload, dict) or "id" not in payload:
        raise InvalidRequestError("starting_after is not a valid cursor")
    return payload
