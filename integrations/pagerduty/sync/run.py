"""Sync one PagerDuty connection: take its lease, record the run, execute the steps in order.

The steps (``steps.SYNC_STEPS``: services, priorities, licenses, users, last sign-in, incidents
with their history, custom fields) each stream their listing page by page and write each page
in its own transaction, so memory stays flat and a failure keeps what was stored; watermarks only
advance over what is stored, so the next run resumes. This module maps what went wrong to the
connection's state and, whatever happened, lets other apps react through the after-sync hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from django.db import connection as database
from django.utils import timezone

from integrations.hooks import enqueue_after_sync
from integrations.models import Connection, ConnectionStatus, SyncRun, SyncRunStatus
from integrations.pagerduty.client import PagerDutyClient
from integrations.pagerduty.connect import client_for_connection
from integrations.pagerduty.errors import (
    PagerDutyError,
    PagerDutyForbidden,
    PagerDutyPaymentRequired,
    PagerDutyUnauthorized,
)
from integrations.pagerduty.sync.context import SyncContext, SyncStep
from integrations.pagerduty.sync.lease import (
    SyncConnectionRevoked,
    SyncLeaseLost,
    sync_lease_acquire,
)
from integrations.pagerduty.sync.steps import SYNC_STEPS
from integrations.pagerduty.sync.steps.people import people_refresh_due
from integrations.services import connection_mark_status

logger = logging.getLogger(__name__)

UNEXPECTED_ERROR_MESSAGE = (
    "The sync stopped on an unexpected error in Sprintolike (it has been logged). The data "
    "synced so far is kept; the sync is retried on schedule."
)


def sync_connection(
    *,
    connection: Connection,
    trigger: str,
    full: bool = False,
    client: PagerDutyClient | None = None,
    now: datetime | None = None,
    steps: Sequence[SyncStep] = SYNC_STEPS,
) -> SyncRun:
    """Sync one connection and return its ``SyncRun`` (succeeded or failed).

    Raises ``SyncAlreadyRunning`` when another sync of the connection holds the lease and
    ``SyncConnectionRevoked`` for a revoked connection; every PagerDuty failure is recorded on
    the run and the connection instead: a refused credential marks it "needs
    re-authorization", a missing scope "missing permissions", anything else "error" with the
    message to act on. Data stored before a failure is kept.
    """
    if connection.status == ConnectionStatus.REVOKED:
        raise SyncConnectionRevoked()
    lease = sync_lease_acquire(connection=connection)
    connection.refresh_from_db()
    now = now or timezone.now()
    full = full or connection.incidents_synced_through is None
    run = SyncRun.objects.create(
        organization_id=connection.organization_id,
        connection=connection,
        trigger=trigger,
        full=full,
        started_at=now,
    )
    sync: SyncContext | None = None
    current_step: SyncStep | None = None
    status = SyncRunStatus.FAILED
    error_message = ""
    try:
        if client is None:
            client = client_for_connection(connection)
        sync = SyncContext(
            connection=connection,
            run=run,
            client=client,
            lease=lease,
            now=now,
            full=full,
            people_due=people_refresh_due(
                connection=connection, trigger=trigger, full=full, now=now
            ),
        )
        with _commits_without_waiting_for_disk():
            for current_step in steps:
                if current_step.due(sync):
                    _run_step(sync, current_step)
        status = SyncRunStatus.SUCCEEDED
    except PagerDutyUnauthorized as error:
        error_message = error.message
        connection_mark_status(
            connection=connection,
            status=ConnectionStatus.NEEDS_REAUTHORIZATION,
            error_message=error.message,
        )
    except PagerDutyError as error:
        what = current_step.label.lower() if current_step else "the connection"
        error_message = f"Syncing {what} failed: {error.message}"
        connection_mark_status(
            connection=connection, status=ConnectionStatus.ERROR, error_message=error_message
        )
    except SyncLeaseLost as error:
        error_message = str(error)
    except Exception:
        logger.exception("Sync of connection %s failed", connection.pk)
        error_message = UNEXPECTED_ERROR_MESSAGE
        connection_mark_status(
            connection=connection, status=ConnectionStatus.ERROR, error_message=error_message
        )
    finally:
        finished_at = timezone.now()
        if status == SyncRunStatus.SUCCEEDED and sync is not None:
            _mark_connection_synced(sync, finished_at)
        run.status = status
        run.finished_at = max(finished_at, run.started_at)
        run.error_message = error_message
        if sync is not None:
            run.counts = sync.counts_as_dict()
            run.notes = list(sync.notes)
        if client is not None:
            client.close()
            run.request_count = client.request_count
            run.requests_by_path = dict(client.requests_by_path)
        run.save()
        lease.release()
        connection.sync_lease_expires_at = None
        _enqueue_after_sync(run)
    return run


@contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """PostgreSQL's ``synchronous_commit = off`` for this sync's page transactions.

    A sync commits once per page (hundreds of times a minute) and each commit otherwise waits
    for its WAL flush, which was a fifth of a full sync's time. Turning it off risks only the
    last fraction of a second of commits if PostgreSQL itself crashes (never consistency);
    those pages and their watermarks are lost together, so the next run reads them again.
    """
    if database.vendor != "postgresql":
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with database.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _run_step(sync: SyncContext, step: SyncStep) -> None:
    """Run one step; data PagerDuty refuses (scope, plan) is skipped with a note, not a failure."""
    try:
        step.run(sync)
    except PagerDutyForbidden as error:
        note = f"{step.label} skipped: {error.message}"
        sync.notes.append(note)
        sync.permission_notes.append(note)
        sync.missing_permissions.append(error.required_scope or step.name)
    except PagerDutyPaymentRequired as error:
        sync.notes.append(f"{step.label} skipped: {error.message}")
    else:
        sync.completed_steps.add(step.name)
    finally:
        sync.save_progress()


def _mark_connection_synced(sync: SyncContext, finished_at: datetime) -> None:
    """A successful run clears the last error, unless PagerDuty refused some permissions."""
    if sync.missing_permissions:
        connection_mark_status(
            connection=sync.connection,
            status=ConnectionStatus.MISSING_SCOPES,
            error_message=" ".join(sync.permission_notes),
            synced_at=finished_at,
        )
    else:
        connection_mark_status(
            connection=sync.connection, status=ConnectionStatus.CONNECTED, synced_at=finished_at
        )


def _enqueue_after_sync(run: SyncRun) -> None:
    """Let checks and spend react to the new data; a broker outage never fails the sync."""
    try:
        enqueue_after_sync(organization_id=run.organization_id, sync_run_id=run.pk)
    except Exception:
        logger.exception("Could not enqueue the after-sync tasks of sync run %s", run.pk)
