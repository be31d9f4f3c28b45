"""The one role → action table. Views, templates and the API all ask `role_can`."""

from enum import StrEnum

from tenants.models import Role


class Action(StrEnum):
    VIEW = "view"
    EXPORT_EVIDENCE = "export_evidence"
    MANAGE_STAFF = "manage_staff"
    MANAGE_ORG_ROLES = "manage_org_roles"
    MANAGE_INTEGRATIONS = "manage_integrations"
    SYNC_INTEGRATIONS = "sync_integrations"
    MANAGE_INCIDENT_POLICY = "manage_incident_policy"
    RECORD_DATA_LOSS = "record_data_loss"
    MANAGE_ACCESS_RULES = "manage_access_rules"
    MAP_ACCOUNTS = "map_accounts"
    REVIEW_ACCESS = "review_access"
    MANAGE_SPECIAL_CASES = "manage_special_cases"
    MANAGE_SPEND = "manage_spend"
    INVITE_MEMBERS = "invite_members"
    MANAGE_MEMBERS = "manage_members"
    REVOKE_INTEGRATION = "revoke_integration"
    DELETE_SYNCED_DATA = "delete_synced_data"
    VIEW_AUDIT_LOG = "view_audit_log"
    MANAGE_API_TOKENS = "manage_api_tokens"


_MEMBER_ACTIONS = frozenset({Action.VIEW, Action.EXPORT_EVIDENCE})
_ADMIN_ACTIONS = _MEMBER_ACTIONS | {
    Action.MANAGE_STAFF,
    Action.MANAGE_ORG_ROLES,
    Action.MANAGE_INTEGRATIONS,
    Action.SYNC_INTEGRATIONS,
    Action.MANAGE_INCIDENT_POLICY,
    Action.RECORD_DATA_LOSS,
    Action.MANAGE_ACCESS_RULES,
    Action.MAP_ACCOUNTS,
    Action.REVIEW_ACCESS,
    Action.MANAGE_SPECIAL_CASES,
    Action.MANAGE_SPEND,
    Action.INVITE_MEMBERS,
    Action.VIEW_AUDIT_LOG,
    Action.MANAGE_API_TOKENS,
}
_OWNER_ACTIONS = _ADMIN_ACTIONS | {
    Action.MANAGE_MEMBERS,
    Action.REVOKE_INTEGRATION,
    Action.DELETE_SYNCED_DATA,
}

ROLE_PERMISSIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(_OWNER_ACTIONS),
    Role.ADMIN: frozenset(_ADMIN_ACTIONS),
    Role.MEMBER: _MEMBER_ACTIONS,
}


def role_can(role: str, action: Action) -> bool:
    return action in ROLE_PERMISSIONS.get(role, frozenset())


class Permissions:
    """Template-friendly view of the table: `{% if can.manage_staff %}`."""

    def __init__(self, role: str | None) -> None:
        self.role = role

    def __getattr__(self, name: str) -> bool:
        try:
            action = Action(name)
        except ValueError:
            raise AttributeError(name) from None
        return self.role is not None and role_can(self.role, action)
