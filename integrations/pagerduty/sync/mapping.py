"""PagerDuty JSON → the field values of our synced records. Pure functions, no database.

Each function returns a dict of model field values (foreign keys by attname, e.g. ``service_id``)
so the upsert can compare them with what is stored. Anything PagerDuty must send and did not
(an id, an incident's ``created_at``) raises ``PagerDutyMalformedResponse``: the run fails with a
message instead of storing a half-empty row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from integrations.models import IncidentStatus
from integrations.pagerduty.datetimes import parse_pagerduty_datetime
from integrations.pagerduty.errors import PagerDutyMalformedResponse
from sprintolike.yes_no import yes_no

NAME_MAX_LENGTH = 255
EMAIL_MAX_LENGTH = 254
SHORT_TEXT_MAX_LENGTH = 64
URL_MAX_LENGTH = 500

# Status an incident is in after each kind of log entry (the kinds PagerDuty's spec lists).
STATUS_AFTER_LOG_ENTRY = {
    "trigger": IncidentStatus.TRIGGERED,
    "unacknowledge": IncidentStatus.TRIGGERED,
    "acknowledge": IncidentStatus.ACKNOWLEDGED,
    "resolve": IncidentStatus.RESOLVED,
}
ACKNOWLEDGE_KIND = "acknowledge"
RESOLVE_KIND = "resolve"
NOTE_KIND = "annotate"
# A note written this long before the resolve still counts as the resolution note: PagerDuty's
# "resolve with a note" adds the note a moment before the resolve entry.
RESOLUTION_NOTE_LEEWAY = timedelta(minutes=2)

_NAME_SEPARATORS = re.compile(r"[\s_\-]+")


def required_id(item: Mapping[str, Any], what: str) -> str:
    """The object's PagerDuty id; an object without one cannot be stored or matched."""
    value = item.get("id") if isinstance(item, Mapping) else None
    if not isinstance(value, str) or not value:
        raise PagerDutyMalformedResponse(f"PagerDuty sent a {what} without an id.")
    return value


def _text(value: Any, max_length: int | None = None) -> str:
    text = "" if value is None else str(value)
    return text[:max_length] if max_length else text


def web_url(value: Any) -> str:
    """A link into PagerDuty's web app that is safe to render, else "".

    ``html_url`` comes from outside and becomes a clickable link: only ``https://`` is kept
    (a ``javascript:`` or ``data:`` URL would run in our pages), plus, in development, URLs under
    the configured API base (the local stand-in speaks plain HTTP on loopback).
    """
    text = _text(value, URL_MAX_LENGTH).strip()
    parts = urlsplit(text)
    if parts.scheme == "https" and parts.hostname:
        return text
    development_base = settings.PAGERDUTY_API_URL.rstrip("/") + "/"
    if (
        settings.DEBUG
        and development_base.startswith("http://")
        and text.startswith(development_base)
    ):
        return text
    return ""


def reference_id(value: Any) -> str:
    """The id of a PagerDuty reference (``{"id": ..., "type": "..._reference"}``), or ""."""
    return (value.get("id") or "") if isinstance(value, Mapping) else ""


def service_fields(service: Mapping[str, Any]) -> dict[str, Any]:
    """A service, with the addresses of its email integrations (``include[]=integrations``).

    Email integrations (``generic_email_inbound_integration``) carry ``integration_email``; the
    incident-management page offers them as the address employees report incidents to.
    """
    addresses = {
        str(integration["integration_email"]).strip().lower()
        for integration in service.get("integrations") or ()
        if isinstance(integration, Mapping) and integration.get("integration_email")
    }
    return {
        "name": _text(service.get("name") or service.get("summary"), NAME_MAX_LENGTH),
        "description": _text(service.get("description")),
        "status": _text(service.get("status"), 30),
        "html_url": web_url(service.get("html_url")),
        "email_addresses": sorted(addresses),
        "last_incident_at": parse_pagerduty_datetime(service.get("last_incident_timestamp")),
        "removed_at": None,
    }


def priority_fields(priority: Mapping[str, Any], *, rank: int) -> dict[str, Any]:
    """A priority; ``rank`` is its position in PagerDuty's list (0 = most severe)."""
    return {
        "name": _text(priority.get("name") or priority.get("summary"), 100),
        "description": _text(priority.get("description")),
        "rank": rank,
    }


def license_fields(license_tier: Mapping[str, Any]) -> dict[str, Any]:
    """A license tier with how many are allocated and how many are still free."""

    def count(value: Any) -> int | None:
        return value if isinstance(value, int) and value >= 0 else None

    return {
        "name": _text(license_tier.get("name") or license_tier.get("summary"), NAME_MAX_LENGTH),
        "description": _text(license_tier.get("description")),
        "role_group": _text(license_tier.get("role_group"), 50),
        "allocated_count": count(license_tier.get("current_value")),
        "available_count": count(license_tier.get("allocations_available")),
    }


def account_fields(user: Mapping[str, Any]) -> dict[str, Any]:
    """A PagerDuty user as a remote account. Invited users who never accepted still appear in
    ``/users`` with ``invitation_sent: true``; a user listed again is no longer removed."""
    teams = [
        {"id": team.get("id") or "", "name": _text(team.get("summary") or team.get("name"))}
        for team in user.get("teams") or ()
        if isinstance(team, Mapping)
    ]
    return {
        "name": _text(user.get("name") or user.get("summary"), NAME_MAX_LENGTH),
        "email": _text(user.get("email"), EMAIL_MAX_LENGTH).strip().lower(),
        "role": _text(user.get("role"), 50),
        "job_title": _text(user.get("job_title"), NAME_MAX_LENGTH),
        "time_zone": _text(user.get("time_zone"), SHORT_TEXT_MAX_LENGTH),
        "teams": teams,
        "html_url": web_url(user.get("html_url")),
        "invitation_pending": bool(user.get("invitation_sent")),
        "removed_at": None,
    }


def incident_fields(
    incident: Mapping[str, Any],
    *,
    service_pks: Mapping[str, int],
    priority_pks: Mapping[str, int],
) -> dict[str, Any]:
    """An incident from ``GET /incidents`` (or embedded in a log entry).

    ``acknowledged_at`` is the earliest current acknowledgement; PagerDuty empties
    ``acknowledgements`` once an incident is resolved, so callers keep an earlier stored value
    (and the log entries fill it in for incidents first seen resolved).
    """
    created_at = parse_pagerduty_datetime(incident.get("created_at"))
    if created_at is None:
        raise PagerDutyMalformedResponse(
            f"PagerDuty sent incident {incident.get('id')} without its created_at time."
        )
    status = _text(incident.get("status"), 20)
    last_status_change_at = parse_pagerduty_datetime(incident.get("last_status_change_at"))
    resolved_at = None
    if status == IncidentStatus.RESOLVED:
        resolved_at = parse_pagerduty_datetime(incident.get("resolved_at")) or last_status_change_at
    acknowledgement_times = [
        moment
        for acknowledgement in incident.get("acknowledgements") or ()
        if isinstance(acknowledgement, Mapping)
        and (moment := parse_pagerduty_datetime(acknowledgement.get("at"))) is not None
    ]
    alert_counts = incident.get("alert_counts")
    alert_count = alert_counts.get("all") if isinstance(alert_counts, Mapping) else None
    service_external_id = reference_id(incident.get("service"))
    priority_external_id = reference_id(incident.get("priority"))
    number = incident.get("incident_number")
    return {
        "number": number if isinstance(number, int) and number >= 0 else 0,
        "title": _text(incident.get("title") or incident.get("summary")),
        "status": status,
        "urgency": _text(incident.get("urgency"), 10),
        "priority_id": priority_pks.get(priority_external_id),
        "service_id": service_pks.get(service_external_id),
        "service_external_id": service_external_id[:SHORT_TEXT_MAX_LENGTH],
        "created_at_remote": created_at,
        "acknowledged_at": min(acknowledgement_times) if acknowledgement_times else None,
        "resolved_at": resolved_at,
        "last_status_change_at": last_status_change_at,
        "updated_at_remote": parse_pagerduty_datetime(incident.get("updated_at")),
        "alert_count": alert_count if isinstance(alert_count, int) and alert_count >= 0 else 0,
        "html_url": web_url(incident.get("html_url")),
    }


def earliest(*moments: datetime | None) -> datetime | None:
    """The earliest of the given times that are known."""
    known = [moment for moment in moments if moment is not None]
    return min(known) if known else None


def log_entry_kind(entry_type: Any) -> str:
    """``resolve_log_entry`` (or ``resolve_log_entry_reference``) → ``resolve``."""
    kind = _text(entry_type).removesuffix("_reference").removesuffix("_log_entry")
    return kind[:50]


def status_change_fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One log entry as a step of its incident's history.

    For notes (``annotate_log_entry``) the text is in ``channel.summary`` when the entries are
    read with ``include[]=channels``; otherwise PagerDuty's own one-line summary is kept.
    """
    at = parse_pagerduty_datetime(entry.get("created_at"))
    if at is None:
        raise PagerDutyMalformedResponse(
            f"PagerDuty sent log entry {entry.get('id')} without its created_at time."
        )
    kind = log_entry_kind(entry.get("type"))
    channel = entry.get("channel")
    summary = entry.get("summary")
    if kind == NOTE_KIND and isinstance(channel, Mapping) and channel.get("summary"):
        summary = channel["summary"]
    agent = entry.get("agent")
    return {
        "kind": kind,
        "status": STATUS_AFTER_LOG_ENTRY.get(kind, ""),
        "at": at,
        "actor_name": _text(agent.get("summary") if isinstance(agent, Mapping) else "", 255),
        "actor_external_id": _user_id(agent),
        "summary": _text(summary),
    }


def _user_id(agent: Any) -> str:
    """The id of the user who made a log entry ("" when a service or integration did)."""
    if isinstance(agent, Mapping) and str(agent.get("type", "")).startswith("user"):
        return _text(agent.get("id"), SHORT_TEXT_MAX_LENGTH)
    return ""


def log_entry_incident_id(entry: Mapping[str, Any]) -> str:
    """The id of the incident a log entry belongs to ("" when it names none)."""
    return reference_id(entry.get("incident"))


def resolution_note(history: Iterable[tuple[str, datetime, str]]) -> str | None:
    """The note left when (or after) an incident was resolved, from its history steps.

    ``history`` holds ``(kind, at, text)`` steps. Notes written from shortly before the last
    resolve onwards are joined in time order. None when the history holds no resolve (then the
    stored note is left as it is).
    """
    steps = sorted(history, key=lambda step: step[1])
    resolve_times = [at for kind, at, _ in steps if kind == RESOLVE_KIND]
    if not resolve_times:
        return None
    notes_from = resolve_times[-1] - RESOLUTION_NOTE_LEEWAY
    notes = [text.strip() for kind, at, text in steps if kind == NOTE_KIND and at >= notes_from]
    return "\n\n".join(note for note in notes if note)


def _is_data_loss_name(name: Any) -> bool:
    return "dataloss" in _NAME_SEPARATORS.sub("", _text(name).lower())


def custom_field_values(fields: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], bool | None]:
    """Raw ``{field name: value}`` and the data-loss answer, from
    ``GET /incidents/{id}/custom_fields/values``.

    The data-loss answer comes from the first field whose name or display name contains
    "data_loss", "dataloss" or "data loss" (any case); None when there is no such field or it
    holds no yes/no answer.
    """
    raw: dict[str, Any] = {}
    data_loss: bool | None = None
    found_data_loss_field = False
    for field in fields:
        if not isinstance(field, Mapping):
            continue
        name = _text(field.get("name") or field.get("display_name") or field.get("id"))
        if not name:
            continue
        raw[name] = field.get("value")
        if not found_data_loss_field and (
            _is_data_loss_name(field.get("name")) or _is_data_loss_name(field.get("display_name"))
        ):
            found_data_loss_field = True
            data_loss = yes_no(field.get("value"))
    return raw, data_loss


def _optional_bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _optional_count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def analytics_user_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of ``POST /analytics/raw/users``: last sign-in and on-call facts.

    These are the only activity facts PagerDuty gives (about a day behind); a field PagerDuty
    did not send stays unknown (None) rather than becoming a "no".
    """
    return {
        "last_sign_in_at": parse_pagerduty_datetime(row.get("last_sign_in_at")),
        "signed_up": _optional_bool(row.get("signed_up")),
        "on_schedule": _optional_bool(row.get("on_schedule")),
        "schedules_count": _optional_count(row.get("schedules_count")),
        "on_escalation_policy": _optional_bool(row.get("on_escalation_policy")),
        "escalation_policies_count": _optional_count(row.get("escalation_policies_count")),
        "downloaded_mobile_app": _optional_bool(row.get("downloaded_mobile_app")),
    }
