"""The incident-management rules, as plain functions: the SLA of an incident and where it
stands against it, and whether an incident is flagged for data loss.

The checks, the incident pages and the evidence export all ask these functions, so the rule for
"which SLA applies", "is it late" or "does this note flag data loss" is written exactly once.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models

from checks.models import CheckStatus
from incidents.models import (
    DEFAULT_DATA_LOSS_FIELD_NAME,
    DataKind,
    DataLossAnswer,
    IncidentPolicy,
    Stakeholder,
)
from integrations.models import IncidentStatus
from sprintolike.yes_no import yes_no

# "data loss", "Data-Loss", "DATA_LOSS", "dataloss", "DataLoss": any case, any separator.
DATA_LOSS_NOTE_PATTERN = re.compile(r"\bdata[\s_-]{0,3}loss", re.IGNORECASE)


class DataLossFlag(models.TextChoices):
    NOTE = "note", "Resolution note"
    CUSTOM_FIELD = "custom_field", "Custom field"
    BY_HAND = "by_hand", "By hand"


# --- SLA ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlaRule:
    hours: int
    basis: str  # "priority P1" or "high urgency": said next to the deadline

    @property
    def duration(self) -> timedelta:
        return timedelta(hours=self.hours)

    def __str__(self) -> str:
        return f"{self.hours} h ({self.basis})"


def sla_rule(
    *,
    policy: IncidentPolicy,
    priority_sla: Mapping[int, tuple[int, str]],
    urgency: str,
    priority_id: int | None,
) -> SlaRule:
    """The SLA of one incident: its priority's SLA when one is set, else its urgency's."""
    if priority_id is not None and priority_id in priority_sla:
        hours, priority_name = priority_sla[priority_id]
        return SlaRule(hours=hours, basis=f"priority {priority_name}")
    label = "low urgency" if urgency == "low" else "high urgency"
    return SlaRule(hours=policy.sla_hours_for_urgency(urgency), basis=label)


def resolved_at_of(
    *, status: str, resolved_at: datetime | None, last_status_change_at: datetime | None
) -> datetime | None:
    """When a resolved incident was resolved. PagerDuty's `resolved_at` is null while an
    incident is open; a resolved incident without it (older data) falls back to
    `last_status_change_at`, the moment it was resolved."""
    if status != IncidentStatus.RESOLVED:
        return None
    return resolved_at or last_status_change_at


@dataclass(frozen=True)
class SlaState:
    """Where one incident stands against its SLA at one instant."""

    rule: SlaRule
    deadline: datetime
    resolved: bool
    resolved_at: datetime | None
    now: datetime

    @property
    def overdue_by(self) -> timedelta | None:
        """How late it was resolved, or how long it is open past its deadline; None if on time."""
        if self.resolved:
            if self.resolved_at is None or self.resolved_at <= self.deadline:
                return None
            return self.resolved_at - self.deadline
        if self.now < self.deadline:
            return None
        return self.now - self.deadline

    @property
    def late(self) -> bool:
        return self.overdue_by is not None

    @property
    def check_status(self) -> str:
        """Passing once resolved, due while open within the SLA, failing once open past it."""
        if self.resolved:
            return CheckStatus.PASSING
        return CheckStatus.FAILING if self.late else CheckStatus.DUE

    @property
    def check_detail(self) -> str:
        if self.resolved:
            if self.resolved_at is None:
                return f"Resolved; SLA {self.rule}"
            if self.late:
                return f"Resolved {format_duration(self.overdue_by)} late; SLA {self.rule}"
            return f"Resolved within its SLA of {self.rule}"
        if self.late:
            return f"Open past its SLA of {self.rule}"
        return f"Open; to be closed within {self.rule}"

    @property
    def page_text(self) -> str:
        if self.resolved:
            if self.late:
                return f"Resolved {format_duration(self.overdue_by)} after the deadline"
            return "Resolved within the SLA"
        if self.late:
            return f"Overdue by {format_duration(self.overdue_by)}"
        return f"{format_duration(self.deadline - self.now)} left"


def sla_state(
    *,
    rule: SlaRule,
    created_at: datetime,
    status: str,
    resolved_at: datetime | None,
    last_status_change_at: datetime | None,
    now: datetime,
) -> SlaState:
    return SlaState(
        rule=rule,
        deadline=created_at + rule.duration,
        resolved=status == IncidentStatus.RESOLVED,
        resolved_at=resolved_at_of(
            status=status, resolved_at=resolved_at, last_status_change_at=last_status_change_at
        ),
        now=now,
    )


def format_duration(duration: timedelta) -> str:
    """`2 d 4 h`, `3 h 20 min`, `12 min`: precise enough for SLAs, short enough for a table."""
    minutes = max(0, int(duration.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


# --- Data loss ---------------------------------------------------------------------------------


def note_mentions_data_loss(text: str) -> bool:
    return bool(text) and DATA_LOSS_NOTE_PATTERN.search(text) is not None


_MISSING = object()


def _custom_field_value(custom_fields: Any, field_name: str) -> Any:
    """Find a field's value in the synced custom fields.

    PagerDuty's `GET /incidents/{id}/custom_fields/values` returns a list of
    `{"name", "display_name", "value"}`; the sync may keep that list or a `{name: value}` map,
    so both are read, matching the name or display name without regard to case.
    """
    wanted = field_name.strip().lower()
    if isinstance(custom_fields, Mapping):
        for key, value in custom_fields.items():
            if str(key).strip().lower() == wanted:
                return value
        return _MISSING
    if isinstance(custom_fields, Iterable) and not isinstance(custom_fields, str | bytes):
        for item in custom_fields:
            if not isinstance(item, Mapping):
                continue
            names = {str(item.get("name", "")).lower(), str(item.get("display_name", "")).lower()}
            if wanted in names:
                return item.get("value")
    return _MISSING


def custom_field_says_data_loss(
    *, custom_fields: Any, data_loss_field: bool | None, field_name: str
) -> bool:
    """Whether the configured custom field says data was lost (`sprintolike.yes_no` reads it).

    A blank field name turns this detection off. With the default name, the boolean the sync
    stores in `RemoteIncident.data_loss_field` answers when the raw values do not hold the field.
    """
    if not field_name.strip():
        return False
    value = _custom_field_value(custom_fields or {}, field_name)
    if value is not _MISSING:
        return yes_no(value) is True
    if field_name.strip().lower() == DEFAULT_DATA_LOSS_FIELD_NAME:
        return bool(data_loss_field)
    return False


def data_loss_flags(
    *,
    resolution_note: str,
    custom_fields: Any,
    data_loss_field: bool | None,
    field_name: str,
    answer: str,
) -> list[str]:
    """Why an incident is flagged for data loss (empty: not flagged). `BY_HAND` is an answer of
    yes that neither the note nor the custom field suggested."""
    flags = []
    if note_mentions_data_loss(resolution_note):
        flags.append(DataLossFlag.NOTE)
    if custom_field_says_data_loss(
        custom_fields=custom_fields, data_loss_field=data_loss_field, field_name=field_name
    ):
        flags.append(DataLossFlag.CUSTOM_FIELD)
    if not flags and answer == DataLossAnswer.YES:
        flags.append(DataLossFlag.BY_HAND)
    return flags


def data_loss_missing(
    *,
    data_kinds: list[str],
    other_data_description: str,
    records_affected: int | None,
    stakeholders: list[str],
    completed_stakeholders: set[str],
) -> list[str]:
    """What is still missing before a recorded data loss is complete, in words for the page."""
    missing = []
    if not data_kinds:
        missing.append("the kinds of data lost")
    elif DataKind.OTHER in data_kinds and not other_data_description.strip():
        missing.append("a description of the other data lost")
    if records_affected is None:
        missing.append("the number of records affected")
    labels = dict(Stakeholder.choices)
    for stakeholder in stakeholders:
        if stakeholder not in completed_stakeholders:
            missing.append(f"the disclosure to {labels.get(stakeholder, stakeholder).lower()}")
    return missing
