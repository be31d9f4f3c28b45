"""What happens in the account while it runs: responders acknowledge, resolve and annotate
incidents, new incidents arrive, users leave or sign in. The `/_control/` endpoints call these,
so tests and benchmarks can watch a sync notice (or miss) each kind of change.
"""

from __future__ import annotations

import bisect
import random

from pagerduty_standin.account.dataset import Dataset
from pagerduty_standin.account.log_entries import incident_log_entries
from pagerduty_standin.account.records import (
    ACKNOWLEDGED,
    ALL_STATUSES,
    LOG_KIND_ACKNOWLEDGE,
    LOG_KIND_ANNOTATE,
    LOG_KIND_RESOLVE,
    OPEN_STATUSES,
    RESOLVED,
    RESPONDER_ROLES,
    TRIGGERED,
    Incident,
    InvalidRequestError,
    LogEntryRecord,
    Note,
    NotFoundError,
    User,
)
from pagerduty_standin.account.vocabulary import INCIDENT_TITLES, NOTIFICATION_TYPES


def incident_add_note(
    dataset: Dataset, *, incident_id: str, content: str, user_id: str | None = None
) -> Note:
    """Add a note as a responder would; it shows in /notes and as an annotate log entry."""
    with dataset.lock:
        incident = dataset.get_incident(incident_id)
        user_index = _user_index_or_assignee(dataset, user_id, incident)
        at = max(dataset.current_time(), incident.created_at)
        note = _append_note(dataset, incident, user_index, content, at)
        incident.updated_at = max(incident.updated_at, at)
        dataset.mark_changed()
        return note


def incident_acknowledge(
    dataset: Dataset, *, incident_id: str, user_id: str | None = None
) -> Incident:
    """Acknowledge an open incident (no-op for one already acknowledged or resolved)."""
    with dataset.lock:
        incident = dataset.get_incident(incident_id)
        if incident.status != TRIGGERED:
            return incident
        user_index = _user_index_or_assignee(dataset, user_id, incident)
        at = max(dataset.current_time(), incident.created_at)
        incident.acknowledged_at = at
        incident.acknowledger_index = user_index
        _set_status(dataset, incident, ACKNOWLEDGED)
        incident.updated_at = at
        _append_log_entry(
            dataset, incident, LogEntryRecord(LOG_KIND_ACKNOWLEDGE, at, user_index, None)
        )
        dataset.mark_changed()
        return incident


def incident_resolve(
    dataset: Dataset, *, incident_id: str, note: str | None = None, user_id: str | None = None
) -> Incident:
    """Resolve an incident now, optionally with a resolution note, as a responder would.

    Only `updated_at`, `last_status_change_at` and `resolved_at` move; `created_at` does not,
    which is why a sync that only asks for incidents created since its last run never sees
    this change.
    """
    with dataset.lock:
        incident = dataset.get_incident(incident_id)
        if incident.status == RESOLVED:
            return incident
        user_index = _user_index_or_assignee(dataset, user_id, incident)
        at = max(dataset.current_time(), incident.created_at)
        if note:
            _append_note(dataset, incident, user_index, note, at)
        incident.resolved_at = at
        incident.resolver_index = user_index
        _set_status(dataset, incident, RESOLVED)
        incident.updated_at = at
        _append_log_entry(dataset, incident, LogEntryRecord(LOG_KIND_RESOLVE, at, user_index, None))
        dataset.mark_changed()
        return incident


def incidents_create(
    dataset: Dataset,
    *,
    count: int,
    status: str = TRIGGERED,
    service_id: str | None = None,
    urgency: str | None = None,
) -> list[Incident]:
    """Create new incidents at the current time (after every existing one)."""
    if status not in ALL_STATUSES:
        raise InvalidRequestError(f"unknown status {status!r}")
    if urgency is not None and urgency not in ("high", "low"):
        raise InvalidRequestError(f"unknown urgency {urgency!r}")
    with dataset.lock:
        rng = random.Random(f"{dataset.seed}:added:{len(dataset.incidents)}")
        if service_id is not None and service_id not in dataset.service_by_id:
            raise NotFoundError(service_id)
        responders = [
            user.index
            for user in dataset.users
            if user.role in RESPONDER_ROLES and user.removed_at is None
        ] or [0]
        created: list[Incident] = []
        for _ in range(max(0, count)):
            at = max(
                dataset.current_time(), dataset.created_times[-1] if dataset.created_times else 0
            )
            service = (
                dataset.service_by_id[service_id]
                if service_id
                else rng.choice([s for s in dataset.services if not s.disabled] or dataset.services)
            )
            incident = Incident()
            incident.id = dataset.ids.next_id()
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
            dataset.append_incident(incident)
            created.append(incident)
        dataset.mark_changed()
        return created


def user_remove(dataset: Dataset, *, user_id: str) -> User:
    """Delete a user: they vanish from /users and lose their license, as in PagerDuty."""
    with dataset.lock:
        user = dataset.user_by_id.get(user_id)
        if user is None or user.removed_at is not None:
            raise NotFoundError(user_id)
        user.removed_at = dataset.current_time()
        dataset.mark_changed()
        return user


def user_record_sign_in(dataset: Dataset, *, user_id: str) -> User:
    """Move a user's `last_sign_in_at` to now (what analytics will report)."""
    with dataset.lock:
        user = dataset.get_user(user_id)
        user.last_sign_in_at = dataset.current_time()
        dataset.mark_changed()
        return user


def _append_note(
    dataset: Dataset, incident: Incident, user_index: int, content: str, at: int
) -> Note:
    """A note shows in /notes and, as an annotate entry, in the incident's log."""
    note = Note(dataset.ids.next_id(), user_index, content, at)
    incident.notes = [*(incident.notes or ()), note]
    _append_log_entry(dataset, incident, LogEntryRecord(LOG_KIND_ANNOTATE, at, user_index, note))
    return note


def _append_log_entry(dataset: Dataset, incident: Incident, record: LogEntryRecord) -> None:
    if incident.extra_log_entries is None:
        incident.extra_log_entries = []
    incident.extra_log_entries.append(record)
    if dataset.log_index.built:
        record.sequence = len(incident_log_entries(incident)) - 1
        dataset.log_index.insert(record, incident.index)


def _set_status(dataset: Dataset, incident: Incident, status: str) -> None:
    """Keep each service's open counts (its `status`) and the open-incident index in step."""
    service = dataset.services[incident.service_index]
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
        open_indices = dataset.open_incident_indices
        position = bisect.bisect_left(open_indices, incident.index)
        if position < len(open_indices) and open_indices[position] == incident.index:
            del open_indices[position]


def _user_index_or_assignee(dataset: Dataset, user_id: str | None, incident: Incident) -> int:
    if user_id is None:
        return incident.assignee_index
    user = dataset.user_by_id.get(user_id)
    if user is None:
        raise NotFoundError(user_id)
    return user.index
