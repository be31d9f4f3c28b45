"""Audit events in words: one small describer per action, and a readable fallback for the rest.

Events store their details as JSON written by whichever app made the change. A page or a CSV
reads them through `audit_entry`, which looks the action up in the registry below; an app adds
its own actions with `@audit_action("connection.sync_requested", label="Sync requested")` in its
`AppConfig.ready()`. An action nobody registered still reads well: its humanised name plus the
details as "Key: value" pairs, with internal ids left out.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from tenants.models import AuditEvent, Role

Describer = Callable[[Mapping[str, Any], str], str]
TargetNamer = Callable[[Mapping[str, Any], str], str]

ACRONYMS = {
    "api": "API",
    "csv": "CSV",
    "id": "ID",
    "ip": "IP",
    "mfa": "MFA",
    "oauth": "OAuth",
    "sla": "SLA",
    "sso": "SSO",
    "totp": "TOTP",
    "url": "URL",
}


@dataclass(frozen=True)
class AuditAction:
    label: str
    describe: Describer
    target_name: TargetNamer | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One event as people read it: on the audit log page, the dashboard and in CSV exports."""

    event: AuditEvent
    action_label: str
    summary: str
    target_kind: str
    target_name: str
    details: list[tuple[str, str]] = field(default_factory=list)

    @property
    def actor_label(self) -> str:
        return self.event.actor.email if self.event.actor else "System"

    @property
    def details_text(self) -> str:
        return "; ".join(f"{key}: {value}" for key, value in self.details)


_REGISTRY: dict[str, AuditAction] = {}


def audit_action(
    action: str, *, label: str, target_name: TargetNamer | None = None
) -> Callable[[Describer], Describer]:
    """Register how `action` reads: `describe(details, target)` returns one sentence."""

    def register(describe: Describer) -> Describer:
        _REGISTRY[action] = AuditAction(label=label, describe=describe, target_name=target_name)
        return describe

    return register


def audit_action_label(action: str) -> str:
    registered = _REGISTRY.get(action)
    return registered.label if registered else humanise(action.replace(".", " "))


def humanise(name: str) -> str:
    """`priority_sla_hours` → "Priority SLA hours"; `connection sync_requested` → "Connection sync requested"."""
    words = name.replace("_", " ").replace("-", " ").split()
    readable = [ACRONYMS.get(word.lower(), word.lower()) for word in words]
    if readable and readable[0] not in ACRONYMS.values():
        readable[0] = readable[0].capitalize()
    return " ".join(readable)


def readable_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set):
        return ", ".join(readable_value(item) for item in value) if value else "none"
    if isinstance(value, Mapping):
        return ", ".join(
            f"{humanise(str(key))} {readable_value(item)}" for key, item in value.items()
        )
    return str(value)


def is_internal_id(key: str) -> bool:
    return key == "id" or key == "pk" or key.endswith(("_id", "_ids", "_pk"))


def readable_details(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The details as (readable key, readable value) pairs, internal ids left out."""
    return [
        (humanise(str(key)), readable_value(value))
        for key, value in details.items()
        if not is_internal_id(str(key))
    ]


def target_kind(target_type: str) -> str:
    """ "tenants.StaffMember" → "Staff member" (the model's verbose name), or "" without a target."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return humanise(target_type.rpartition(".")[2])
    return str(model._meta.verbose_name).capitalize()


def audit_entry(event: AuditEvent) -> AuditEntry:
    details = event.details if isinstance(event.details, Mapping) else {}
    registered = _REGISTRY.get(event.action)
    target_name = event.target
    if registered is None:
        summary, pairs = audit_action_label(event.action), readable_details(details)
    else:
        try:
            summary, pairs = registered.describe(details, event.target), []
            if registered.target_name:
                target_name = registered.target_name(details, event.target)
        except (KeyError, TypeError, ValueError, AttributeError):
            # Details written by an older version of the action: fall back rather than fail.
            summary, pairs = registered.label, readable_details(details)
    return AuditEntry(
        event=event,
        action_label=audit_action_label(event.action),
        summary=summary,
        target_kind=target_kind(event.target_type),
        target_name=target_name,
        details=pairs,
    )


def audit_entries(events: Iterable[AuditEvent]) -> list[AuditEntry]:
    return [audit_entry(event) for event in events]


AUDIT_CSV_HEADER = [
    "when_utc",
    "actor",
    "action",
    "action_label",
    "summary",
    "target_type",
    "target",
    "details",
    "details_json",
]


def audit_log_csv_rows(events: QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    """The CSV export's rows, header first; events are read in chunks, never all at once."""
    yield AUDIT_CSV_HEADER
    for event in events.iterator(chunk_size=2000):
        entry = audit_entry(event)
        yield [
            event.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            entry.actor_label,
            event.action,
            entry.action_label,
            entry.summary,
            entry.target_kind,
            entry.target_name,
            entry.details_text,
            json.dumps(event.details, sort_keys=True, default=str),
        ]


def registered_audit_actions() -> dict[str, str]:
    return {action: registered.label for action, registered in _REGISTRY.items()}


# --- The tenants app's own actions -------------------------------------------------------------


def role_label(role: Any) -> str:
    try:
        return Role(role).label
    except ValueError:
        return readable_value(role)


def _details_user(details: Mapping[str, Any], target: str) -> str:
    return details.get("user") or target


def _details_email(details: Mapping[str, Any], target: str) -> str:
    return details.get("email") or target


@audit_action("organization.create", label="Organisation created")
def _organization_create(details: Mapping[str, Any], target: str) -> str:
    return f"Created the organisation {target}"


@audit_action("membership.role_change", label="Member role changed", target_name=_details_user)
def _membership_role_change(details: Mapping[str, Any], target: str) -> str:
    return (
        f"Changed role of {details['user']} from {role_label(details['from'])} "
        f"to {role_label(details['to'])}"
    )


@audit_action("membership.remove", label="Member removed", target_name=_details_user)
def _membership_remove(details: Mapping[str, Any], target: str) -> str:
    return f"Removed {details['user']} ({role_label(details['role'])})"


@audit_action("invitation.create", label="Invitation sent", target_name=_details_email)
def _invitation_create(details: Mapping[str, Any], target: str) -> str:
    return f"Invited {details['email']} as {role_label(details['role'])}"


@audit_action("invitation.accept", label="Invitation accepted", target_name=_details_email)
def _invitation_accept(details: Mapping[str, Any], target: str) -> str:
    if details.get("new_member", True):
        return f"{details['email']} accepted the invitation and joined as {role_label(details['role'])}"
    return f"{details['email']} accepted the invitation (already a member)"


@audit_action("invitation.revoke", label="Invitation revoked", target_name=_details_email)
def _invitation_revoke(details: Mapping[str, Any], target: str) -> str:
    return f"Revoked the invitation for {details['email']}"


@audit_action("org_role.create", label="Org role added")
def _org_role_create(details: Mapping[str, Any], target: str) -> str:
    return f"Added the org role “{target}”"


@audit_action("org_role.update", label="Org role changed")
def _org_role_update(details: Mapping[str, Any], target: str) -> str:
    return f"Changed the org role “{target}”"


@audit_action("org_role.delete", label="Org role deleted")
def _org_role_delete(details: Mapping[str, Any], target: str) -> str:
    unassigned = details.get("staff_unassigned", 0)
    if unassigned:
        return f"Deleted the org role “{target}” ({unassigned} staff left without a role)"
    return f"Deleted the org role “{target}”"


def _staff_facts(details: Mapping[str, Any]) -> str:
    facts = [
        f"{humanise(key).lower()} {readable_value(details[key])}"
        for key in ("org_role", "status", "start_date", "last_working_day")
        if details.get(key)
    ]
    return f" ({', '.join(facts)})" if facts else ""


def _staff_name(details: Mapping[str, Any], target: str) -> str:
    return details.get("name") or target


@audit_action("staff.create", label="Staff member added", target_name=_staff_name)
def _staff_create(details: Mapping[str, Any], target: str) -> str:
    return f"Added {details['name']} <{details['email']}> to the staff directory{_staff_facts(details)}"


@audit_action("staff.update", label="Staff member changed", target_name=_staff_name)
def _staff_update(details: Mapping[str, Any], target: str) -> str:
    return f"Saved {details['name']} <{details['email']}>{_staff_facts(details)}"


@audit_action("staff.offboard", label="Staff member offboarded")
def _staff_offboard(details: Mapping[str, Any], target: str) -> str:
    return f"Offboarded {target} (last working day {details['last_working_day']})"


@audit_action("staff.import", label="Staff imported")
def _staff_import(details: Mapping[str, Any], target: str) -> str:
    sentence = f"Imported staff from CSV: {details['created']} added, {details['updated']} updated"
    if details.get("org_roles_created"):
        sentence += f"; org roles created: {', '.join(details['org_roles_created'])}"
    return sentence
