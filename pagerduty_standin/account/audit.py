"""The account's audit trail as PagerDuty's `GET /audit/records` shows it, for users only:
a `delete` record when a user is removed, an `update` record (field `role`) when a user's role
changes. Records are derived from the users, so they always agree with `/users`."""

from __future__ import annotations

from typing import Any

from pagerduty_standin.account.dataset import Dataset
from pagerduty_standin.account.formats import format_timestamp
from pagerduty_standin.account.records import InvalidRequestError, NotFoundError, User

USER_ROLES = (
    "owner",
    "admin",
    "user",
    "limited_user",
    "observer",
    "restricted_access",
    "read_only_user",
    "read_only_limited_user",
)


def user_change_role(dataset: Dataset, *, user_id: str, role: str) -> User:
    """Change a user's role now (their license follows the role, as in PagerDuty)."""
    if role not in USER_ROLES:
        raise InvalidRequestError(f"Unknown role {role!r}.")
    with dataset.lock:
        user = dataset.get_user(user_id)
        if user.role != role:
            user.role_changes.append((dataset.current_time(), user.role, role))
            user.role = role
            dataset.mark_changed()
        return user


def user_audit_records(
    dataset: Dataset, *, since: int, until: int, actions: set[str]
) -> list[dict[str, Any]]:
    """Records in `[since, until)`, oldest first."""
    records: list[tuple[int, dict[str, Any]]] = []
    with dataset.lock:
        for user in dataset.users:
            root = {"id": user.id, "type": "user_reference", "summary": user.name}
            for index, (at, before, after) in enumerate(user.role_changes):
                if "update" in actions and since <= at < until:
                    records.append(
                        (
                            at,
                            {
                                "id": f"AR{user.id}U{index}",
                                "execution_time": format_timestamp(at),
                                "action": "update",
                                "method": {"type": "api_token"},
                                "actors": [{"id": "PSTANDIN", "type": "user_reference"}],
                                "root_resource": root,
                                "details": {
                                    "resource": root,
                                    "fields": [
                                        {"name": "role", "before_value": before, "value": after}
                                    ],
                                },
                            },
                        )
                    )
            if (
                user.removed_at is not None
                and "delete" in actions
                and since <= user.removed_at < until
            ):
                records.append(
                    (
                        user.removed_at,
                        {
                            "id": f"AR{user.id}D",
                            "execution_time": format_timestamp(user.removed_at),
                            "action": "delete",
                            "method": {"type": "api_token"},
                            "actors": [{"id": "PSTANDIN", "type": "user_reference"}],
                            "root_resource": root,
                            "details": {"resource": root, "fields": []},
                        },
                    )
                )
    records.sort(key=lambda pair: (pair[0], pair[1]["id"]))
    return [record for _, record in records]


__all__ = ["NotFoundError", "user_audit_records", "user_change_role"]
