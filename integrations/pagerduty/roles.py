"""PagerDuty's user roles, most to least privileged, with the labels PagerDuty's web UI shows.

The API sends the value (``limited_user``); people read the label ("Responder"). Wherever one
role is "higher than" another (valid access, excess privilege) the order below decides.
"""

from __future__ import annotations

from enum import StrEnum


class PagerDutyRole(StrEnum):
    """Declared from most to least privileged; ``rank`` 0 is the highest."""

    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "user"
    RESPONDER = "limited_user"
    OBSERVER = "observer"
    RESTRICTED_ACCESS = "restricted_access"
    FULL_STAKEHOLDER = "read_only_user"
    LIMITED_STAKEHOLDER = "read_only_limited_user"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def rank(self) -> int:
        return ROLES_BY_PRIVILEGE.index(self)


ROLES_BY_PRIVILEGE: tuple[PagerDutyRole, ...] = tuple(PagerDutyRole)

ROLE_LABELS: dict[str, str] = {
    PagerDutyRole.OWNER: "Account Owner",
    PagerDutyRole.ADMIN: "Global Admin",
    PagerDutyRole.MANAGER: "Manager",
    PagerDutyRole.RESPONDER: "Responder",
    PagerDutyRole.OBSERVER: "Observer",
    PagerDutyRole.RESTRICTED_ACCESS: "Restricted Access",
    PagerDutyRole.FULL_STAKEHOLDER: "Full Stakeholder",
    PagerDutyRole.LIMITED_STAKEHOLDER: "Limited Stakeholder",
}

ROLE_CHOICES: tuple[tuple[str, str], ...] = tuple(
    (role.value, role.label) for role in ROLES_BY_PRIVILEGE
)


def role_label(role: str) -> str:
    """The label PagerDuty shows for an API role value; an unknown value is made readable."""
    return ROLE_LABELS.get(role) or role.replace("_", " ").title()


def role_rank(role: str) -> int:
    """0 for the account owner, growing as privileges shrink; unknown roles rank lowest."""
    try:
        return PagerDutyRole(role).rank
    except ValueError:
        return len(ROLES_BY_PRIVILEGE)


def role_is_higher(role: str, than: str) -> bool:
    """Whether ``role`` holds more privileges than ``than`` (owner is higher than admin)."""
    return role_rank(role) < role_rank(than)
