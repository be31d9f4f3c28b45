"""Account history: role and license changes, removals and returns seen between two syncs.

PagerDuty has no change feed for users: the users step compares each listed user with the
stored row (through ``upsert_page``'s ``adjust`` hook) and this module writes what changed, so
access pages and reviews can say when someone was promoted or lost a license.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from integrations.models import (
    AccountChangeKind,
    Connection,
    RemoteAccount,
    RemoteAccountChange,
    RemoteLicense,
)


class AccountHistory:
    """Collects changes page by page; ``flush`` writes them in the page's transaction."""

    def __init__(self, *, connection: Connection, now: datetime) -> None:
        self.connection = connection
        self.now = now
        self.pending: list[RemoteAccountChange] = []
        self._license_names: dict[int, str] | None = None

    def license_name(self, license_id: int | None) -> str:
        if license_id is None:
            return ""
        if self._license_names is None:
            self._license_names = dict(
                RemoteLicense.objects.filter(connection_id=self.connection.pk).values_list(
                    "pk", "name"
                )
            )
        return self._license_names.get(license_id, str(license_id))

    def _add(self, row: Any, kind: str, before: str, after: str) -> None:
        self.pending.append(
            RemoteAccountChange(
                organization_id=self.connection.organization_id,
                connection_id=self.connection.pk,
                account_id=row.pk,
                kind=kind,
                before=before[:255],
                after=after[:255],
                at=self.now,
            )
        )

    def compare(self, row: Any, values: dict[str, Any]) -> None:
        """The ``adjust`` hook of the users step: note what differs from the stored row."""
        if row is None:
            return
        if "role" in values and row.role and row.role != values["role"]:
            self._add(row, AccountChangeKind.ROLE, row.role, values["role"])
        if "license_id" in values and row.license_id != values["license_id"]:
            self._add(
                row,
                AccountChangeKind.LICENSE,
                self.license_name(row.license_id),
                self.license_name(values["license_id"]),
            )
        if getattr(row, "removed_at", None) is not None and values.get("removed_at", 1) is None:
            self._add(row, AccountChangeKind.RESTORED, "", "")
            values["removed_at_exact"] = None

    def flush(self) -> None:
        if self.pending:
            RemoteAccountChange.objects.bulk_create(self.pending, batch_size=1000)
            self.pending = []

    def record_removals(self) -> None:
        """Accounts this run marked removed (``mark_removed`` stamps them with ``now``)."""
        removed = RemoteAccount.objects.filter(
            connection_id=self.connection.pk, removed_at=self.now
        ).values_list("pk", "role")
        RemoteAccountChange.objects.bulk_create(
            [
                RemoteAccountChange(
                    organization_id=self.connection.organization_id,
                    connection_id=self.connection.pk,
                    account_id=pk,
                    kind=AccountChangeKind.REMOVED,
                    before=role,
                    at=self.now,
                )
                for pk, role in removed
            ],
            batch_size=1000,
        )
