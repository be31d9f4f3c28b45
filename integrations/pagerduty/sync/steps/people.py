"""Steps that read the account's people: users (with their license) and their last sign-in.

Users, licenses and sign-ins have no "changed since" filter, so they are re-read in full when a
person asks for a sync, on a full sync, and on schedule at most every
``PAGERDUTY_PEOPLE_REFRESH_MINUTES`` (default 60).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from integrations.models import Connection, RemoteAccount, SyncTrigger
from integrations.pagerduty.errors import PagerDutyForbidden, PagerDutyPaymentRequired
from integrations.pagerduty.sync import mapping
from integrations.pagerduty.sync.account_history import AccountHistory
from integrations.pagerduty.sync.context import SyncContext
from integrations.pagerduty.sync.readahead import read_ahead
from integrations.pagerduty.sync.upsert import mark_removed, upsert_page
from sprintolike.bulk import chunks

SIGN_IN_BATCH_SIZE = 1000


def people_refresh_due(*, connection: Connection, trigger: str, full: bool, now: datetime) -> bool:
    """Whether this run re-reads users, licenses and last sign-ins.

    Always when a person asked (Sync now, the command, the first sync after connecting) or on a
    full sync; on schedule when the last complete read is older than the refresh interval.
    """
    if full or trigger != SyncTrigger.SCHEDULE or connection.people_synced_at is None:
        return True
    interval = timedelta(minutes=int(settings.PAGERDUTY_PEOPLE_REFRESH_MINUTES))
    return now - connection.people_synced_at >= interval


class UsersStep:
    """Every user; users gone from the list are kept and marked removed (PAGERDUTY.md)."""

    name = "users"
    label = "Users"

    def due(self, sync: SyncContext) -> bool:
        return sync.people_due

    def run(self, sync: SyncContext) -> None:
        counts = sync.count(self.name)
        license_by_user = sync.license_by_user
        history = AccountHistory(connection=sync.connection, now=sync.now)
        seen: set[str] = set()
        for page in read_ahead(sync.client.iter_pages("/users", collection="users")):
            records = {}
            for user in page:
                values = mapping.account_fields(user)
                external_id = mapping.required_id(user, "user")
                if license_by_user is not None:
                    values["license_id"] = license_by_user.get(external_id)
                records[external_id] = values
            upsert_page(
                RemoteAccount,
                connection=sync.connection,
                records=records,
                now=sync.now,
                counts=counts,
                adjust=history.compare,
            )
            history.flush()
            seen.update(records)
            sync.page_done()
        counts.removed += mark_removed(
            RemoteAccount,
            connection=sync.connection,
            seen_external_ids=seen,
            now=sync.now,
            extra_updates={"license": None},
        )
        history.record_removals()


class SignInsStep:
    """Last sign-in and on-call facts from ``POST /analytics/raw/users`` (the only API that has
    last sign-in; it also says who is on a schedule or escalation policy).

    Runs after the users were listed. The analytics data lags up to a day, so a stored later
    time is never moved back. Once it is done (or refused: the plan or token may lack
    analytics), the people count as read: ``people_synced_at``.
    """

    name = "sign_ins"
    label = "Last sign-in"

    def due(self, sync: SyncContext) -> bool:
        return sync.people_due and UsersStep.name in sync.completed_steps

    def run(self, sync: SyncContext) -> None:
        try:
            self._read_sign_ins(sync)
        except (PagerDutyForbidden, PagerDutyPaymentRequired):
            sync.update_connection(people_synced_at=sync.now)
            raise
        sync.update_connection(people_synced_at=sync.now)

    def _read_sign_ins(self, sync: SyncContext) -> None:
        counts = sync.count(self.name)

        def keep_latest(row: Any, values: dict[str, Any]) -> None:
            values["last_sign_in_at"] = max(
                (moment for moment in (row.last_sign_in_at, values["last_sign_in_at"]) if moment),
                default=None,
            )

        rows = sync.client.iter_analytics_raw_users()
        for batch in read_ahead(chunks(rows, SIGN_IN_BATCH_SIZE)):
            records = {
                str(row.get("id") or row.get("user_id")): mapping.analytics_user_fields(row)
                for row in batch
                if isinstance(row, Mapping) and (row.get("id") or row.get("user_id"))
            }
            upsert_page(
                RemoteAccount,
                connection=sync.connection,
                records=records,
                now=sync.now,
                counts=counts,
                adjust=keep_latest,
                create=False,
            )
            sync.page_done()
