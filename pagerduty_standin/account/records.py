"""The objects of a stand-in PagerDuty account, stored compactly, and the errors about them.

The API's JSON is built from these only when a response needs it (see `api/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TRIGGERED = "triggered"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"
OPEN_STATUSES = frozenset({TRIGGERED, ACKNOWLEDGED})
ALL_STATUSES = frozenset({TRIGGERED, ACKNOWLEDGED, RESOLVED})
# Roles PagerDuty lets an escalation policy page (they can be assigned incidents).
RESPONDER_ROLES = frozenset({"owner", "admin", "user", "limited_user"})

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
    # (epoch seconds, role before, role after), as PagerDuty's audit records show role updates.
    role_changes: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def on_schedule(self) -> bool:
        """Known data: admins and managers take shifts on a schedule."""
        return self.role in ("admin", "user")

    @property
    def on_escalation_policy(self) -> bool:
        """Known data: the owner, admins and managers are on an escalation policy."""
        return self.role in ("owner", "admin", "user")


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
