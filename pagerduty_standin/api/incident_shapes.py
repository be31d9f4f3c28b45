"""The JSON of an incident, its log entries and its notes, as PagerDuty returns them.

An incident embeds its first trigger log entry and every log entry embeds its incident, so the
two shapes live together. `include[]` expands references into whole objects.
"""

from __future__ import annotations

from typing import Any

from pagerduty_standin.account.records import (
    ACKNOWLEDGED,
    LOG_KIND_ACKNOWLEDGE,
    LOG_KIND_ANNOTATE,
    LOG_KIND_ASSIGN,
    LOG_KIND_NOTIFY,
    LOG_KIND_RESOLVE,
    LOG_KIND_TRIGGER,
    OPEN_STATUSES,
    RESOLVED,
    Incident,
    LogEntryRecord,
    Note,
    Service,
)
from pagerduty_standin.api.rendering import Renderer
from pagerduty_standin.api.services import render_priority, render_service
from pagerduty_standin.api.users import render_user

NOTIFICATION_LABELS = {
    "sms_notification": "SMS",
    "phone_notification": "phone",
    "push_notification": "push notification",
    "email_notification": "email",
}
TRIGGER_SUMMARIES = {
    "api": "Triggered through the API.",
    "email": "Triggered through email.",
    "web_trigger": "Triggered through the website.",
}


def render_incident(
    renderer: Renderer, incident: Incident, includes: frozenset[str]
) -> dict[str, Any]:
    """Open incidents carry their assignment; resolved ones keep only their alert counts."""
    dataset = renderer.dataset
    service = dataset.services[incident.service_index]
    team = dataset.teams[service.team_index]
    title = dataset.incident_title(incident)
    expand_users = "users" in includes

    def person(user_index: int, include_name: str) -> dict[str, Any]:
        if expand_users or include_name in includes:
            return render_user(renderer, dataset.users[user_index])
        return renderer.user_reference(user_index)

    assignments = []
    acknowledgements = []
    if incident.status in OPEN_STATUSES:
        assignments.append(
            {
                "at": renderer.time(incident.created_at),
                "assignee": person(incident.assignee_index, "assignees"),
            }
        )
    if incident.status == ACKNOWLEDGED and incident.acknowledged_at is not None:
        acknowledgements.append(
            {
                "at": renderer.time(incident.acknowledged_at),
                "acknowledger": person(incident.acknowledger_index, "acknowledgers"),
            }
        )
    if incident.status == RESOLVED:
        resolved_alerts = incident.alert_count
    else:
        resolved_alerts = incident.index % incident.alert_count
    if incident.status == RESOLVED and incident.resolver_index >= 0:
        status_changed_by = renderer.user_reference(incident.resolver_index)
    elif incident.status == ACKNOWLEDGED and incident.acknowledger_index >= 0:
        status_changed_by = renderer.user_reference(incident.acknowledger_index)
    else:
        status_changed_by = renderer.service_reference(service)
    priority = dataset.priorities[incident.priority_index] if incident.priority_index >= 0 else None
    first_trigger_record = LogEntryRecord(
        LOG_KIND_TRIGGER, incident.created_at, -1, incident.trigger_channel, sequence=0
    )
    if "first_trigger_log_entries" in includes:
        first_trigger = render_log_entry(renderer, incident, first_trigger_record, frozenset())
    else:
        first_trigger = render_log_entry_reference(renderer, incident, first_trigger_record)
    return {
        "id": incident.id,
        "type": "incident",
        "summary": f"[#{incident.number}] {title}",
        "self": f"{renderer.api}/incidents/{incident.id}",
        "html_url": f"{renderer.web}/incidents/{incident.id}",
        "incident_number": incident.number,
        "title": title,
        "description": title,
        "created_at": renderer.time(incident.created_at),
        "updated_at": renderer.time(incident.updated_at),
        "status": incident.status,
        "incident_key": dataset.incident_key_text(incident),
        "service": _service(renderer, service, includes),
        "assignments": assignments,
        "assigned_via": "escalation_policy",
        "last_status_change_at": renderer.time(incident.last_status_change_at),
        "last_status_change_by": status_changed_by,
        "resolved_at": renderer.time(incident.resolved_at),
        "first_trigger_log_entry": first_trigger,
        "alert_counts": {
            "all": incident.alert_count,
            "triggered": incident.alert_count - resolved_alerts,
            "resolved": resolved_alerts,
        },
        "is_mergeable": True,
        "incident_type": {"name": "incident_default"},
        "escalation_policy": renderer.escalation_policy_reference(team),
        "teams": renderer.teams([team], includes),
        "pending_actions": [],
        "acknowledgements": acknowledgements,
        "alert_grouping": None,
        "priority": (
            (
                render_priority(renderer, priority)
                if "priorities" in includes
                else renderer.priority_reference(priority)
            )
            if priority
            else None
        ),
        "resolve_reason": None,
        "conference_bridge": None,
        "incidents_responders": [],
        "responder_requests": [],
        "urgency": incident.urgency,
    }


def render_log_entry_reference(
    renderer: Renderer, incident: Incident, record: LogEntryRecord
) -> dict[str, Any]:
    entry_id = renderer.dataset.log_entry_id(incident, record.sequence)
    return {
        "id": entry_id,
        "type": f"{record.kind}_reference",
        "summary": _log_summary(renderer, record),
        "self": f"{renderer.api}/log_entries/{entry_id}",
        "html_url": f"{renderer.web}/incidents/{incident.id}/log_entries/{entry_id}",
    }


def render_log_entry(
    renderer: Renderer, incident: Incident, record: LogEntryRecord, includes: frozenset[str]
) -> dict[str, Any]:
    """One log entry; `include[]=channels` adds what PagerDuty knows about the channel."""
    dataset = renderer.dataset
    service = dataset.services[incident.service_index]
    team = dataset.teams[service.team_index]
    with_channels = "channels" in includes
    title = dataset.incident_title(incident)
    agent = (
        renderer.user_reference(record.actor_index)
        if record.actor_index >= 0
        else renderer.service_reference(service)
    )
    channel: dict[str, Any]
    extra: dict[str, Any] = {}
    if record.kind == LOG_KIND_TRIGGER:
        channel = {"type": record.detail}
        if with_channels:
            channel["summary"] = title
            if record.detail == "email":
                email = next(
                    (i.integration_email for i in service.integrations if i.integration_email),
                    None,
                )
                channel.update(
                    {"to": email, "from": "alerts@monitoring.example.com", "subject": title}
                )
            else:
                channel.update(
                    {
                        "incident_key": dataset.incident_key_text(incident),
                        "details": {"source": "monitoring"},
                    }
                )
        extra["event_details"] = {"description": title}
    elif record.kind == LOG_KIND_ASSIGN:
        channel = {"type": "auto"}
        extra["assignees"] = [renderer.user_reference(record.detail)]
    elif record.kind == LOG_KIND_NOTIFY:
        user_index, notification_type = record.detail
        channel = {"type": "auto"}
        if with_channels:
            user = dataset.users[user_index]
            channel["notification"] = {
                "type": notification_type,
                "status": "success",
                "address": user.email
                if notification_type in ("email_notification", "push_notification")
                else f"+1555{user.index % 10_000_000:07d}",
                "started_at": renderer.time(record.at),
            }
        extra["user"] = renderer.user_reference(user_index)
    elif record.kind == LOG_KIND_ANNOTATE:
        channel = {"type": "note"}
        if with_channels:
            channel["summary"] = record.detail.content
    elif record.kind == LOG_KIND_RESOLVE and record.actor_index < 0:
        channel = {"type": "api" if incident.index % 2 else "timeout"}
    else:
        channel = {"type": "website"}
    if record.kind == LOG_KIND_ACKNOWLEDGE:
        extra["acknowledgement_timeout"] = service.acknowledgement_timeout
    return {
        **render_log_entry_reference(renderer, incident, record),
        "type": record.kind,
        "created_at": renderer.time(record.at),
        "agent": agent,
        "channel": channel,
        "service": _service(renderer, service, includes),
        "incident": (
            render_incident(renderer, incident, frozenset())
            if "incidents" in includes
            else renderer.incident_reference(incident)
        ),
        "teams": renderer.teams([team], includes),
        "contexts": [],
        **extra,
    }


def render_note(renderer: Renderer, note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "user": renderer.user_reference(note.user_index),
        "channel": {"summary": "The PagerDuty website or APIs"},
        "content": note.content,
        "created_at": renderer.time(note.created_at),
        "updated_at": renderer.time(note.created_at),
    }


def _service(renderer: Renderer, service: Service, includes: frozenset[str]) -> dict[str, Any]:
    if "services" in includes:
        return render_service(renderer, service)
    return renderer.service_reference(service)


def _log_summary(renderer: Renderer, record: LogEntryRecord) -> str:
    """The one-line summary PagerDuty's web UI shows for each kind of entry."""
    users = renderer.dataset.users
    actor_name = users[record.actor_index].name if record.actor_index >= 0 else None
    if record.kind == LOG_KIND_TRIGGER:
        return TRIGGER_SUMMARIES[record.detail]
    if record.kind == LOG_KIND_ASSIGN:
        return f"Assigned to {users[record.detail].name}."
    if record.kind == LOG_KIND_NOTIFY:
        user_index, notification_type = record.detail
        return f"Notified {users[user_index].name} by {NOTIFICATION_LABELS[notification_type]}."
    if record.kind == LOG_KIND_ACKNOWLEDGE:
        return f"Acknowledged by {actor_name}."
    if record.kind == LOG_KIND_ANNOTATE:
        return record.detail.content
    if record.kind == LOG_KIND_RESOLVE:
        return f"Resolved by {actor_name}." if actor_name else "Resolved through the API."
    return record.kind
