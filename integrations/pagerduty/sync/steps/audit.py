"""Exact removal times from PagerDuty's audit records (``GET /audit/records``).

A removed user simply vanishes from ``/users``, so a sync only knows "gone by this run". When
the token has ``audit_records.read`` and the plan includes Audit Trail, the delete records say
exactly when each user was removed: offboarding evidence then shows the exact time to revoke.
Otherwise the step is skipped with a note on the run, never a failed sync or a "missing
permissions" connection: the scope is optional.
"""

from __future__ import annotations

from datetime import timedelta

from integrations.models import AccountChangeKind, AuthType, RemoteAccount, RemoteAccountChange
from integrations.pagerduty.datetimes import parse_pagerduty_datetime
from integrations.pagerduty.errors import (
    PagerDutyError,
    PagerDutyForbidden,
    PagerDutyPaymentRequired,
    PagerDutyUnauthorized,
)
from integrations.pagerduty.sync.context import SyncContext
from integrations.pagerduty.sync.steps.people import UsersStep

AUDIT_SCOPE = "audit_records.read"
FIRST_READ_DAYS = 90
OVERLAP = timedelta(days=2)


class AuditRecordsStep:
    name = "audit_records"
    label = "Exact removal times"

    def due(self, sync: SyncContext) -> bool:
        """Only when a recent removal still lacks its exact time: no request otherwise."""
        if not (sync.people_due and UsersStep.name in sync.completed_steps):
            return False
        return RemoteAccount.objects.filter(
            connection_id=sync.connection.pk,
            removed_at__gte=sync.now - timedelta(days=FIRST_READ_DAYS),
            removed_at_exact__isnull=True,
        ).exists()

    def run(self, sync: SyncContext) -> None:
        connection = sync.connection
        if connection.auth_type == AuthType.OAUTH and AUDIT_SCOPE not in (
            connection.granted_scopes or []
        ):
            sync.notes.append(
                f"{self.label} skipped: the connection was not granted {AUDIT_SCOPE}; "
                "offboarding shows removals by the first sync that saw them gone."
            )
            return
        last_read = (
            RemoteAccountChange.objects.filter(connection_id=connection.pk, exact=True)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        since = sync.now - timedelta(days=FIRST_READ_DAYS)
        if last_read is not None:
            since = max(since, last_read - OVERLAP)
        try:
            self._read(sync, since=since)
        except (PagerDutyForbidden, PagerDutyPaymentRequired) as error:
            sync.notes.append(
                f"{self.label} skipped: {error.message} Offboarding shows removals by the "
                "first sync that saw them gone."
            )
        except PagerDutyUnauthorized:
            raise
        except PagerDutyError as error:
            # Optional enrichment: a failure here never fails the sync of everything else.
            sync.notes.append(f"{self.label} not read this time: {error.message}")

    def _read(self, sync: SyncContext, *, since) -> None:
        counts = sync.count(self.name)
        removals: dict[str, tuple[str, object]] = {}
        for record in sync.client.iter_audit_records(
            since=since,
            until=sync.read_until,
            params={"root_resource_types[]": ["users"], "actions[]": ["delete"]},
        ):
            counts.seen += 1
            root = record.get("root_resource") or {}
            user_id = str(root.get("id") or "")
            at = parse_pagerduty_datetime(record.get("execution_time"))
            if user_id and at and record.get("action") == "delete":
                removals[user_id] = (str(record.get("id") or ""), at)
        if not removals:
            return
        accounts = RemoteAccount.objects.filter(
            connection_id=sync.connection.pk, external_id__in=list(removals)
        ).only("pk", "external_id", "removed_at", "removed_at_exact", "role")
        known = set(
            RemoteAccountChange.objects.filter(
                connection_id=sync.connection.pk, exact=True
            ).values_list("audit_record_id", flat=True)
        )
        changes = []
        for account in accounts:
            record_id, at = removals[account.external_id]
            if account.removed_at is None or record_id in known:
                continue
            RemoteAccount.objects.filter(pk=account.pk).update(removed_at_exact=at)
            changes.append(
                RemoteAccountChange(
                    organization_id=sync.connection.organization_id,
                    connection_id=sync.connection.pk,
                    account_id=account.pk,
                    kind=AccountChangeKind.REMOVED,
                    before=account.role,
                    at=at,
                    exact=True,
                    audit_record_id=record_id,
                )
            )
        RemoteAccountChange.objects.bulk_create(changes)
        counts.updated += len(changes)
        sync.page_done()
