"""django-q2 tasks of the integrations app. Tasks are an API: look the ids up, call a service.

``sync_all_connections`` runs on schedule (``integrations/schedules.py``) and enqueues one
``sync_connection_task`` per active connection, so one broken connection never stops the others:
each runs, fails and is recorded on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from integrations.models import Connection, SyncTrigger
from integrations.pagerduty.sync.lease import SyncRefused
from integrations.pagerduty.sync.run import sync_connection
from integrations.services import connection_sync_enqueue

logger = logging.getLogger(__name__)


def sync_connection_task(
    connection_id: int, trigger: str = SyncTrigger.SCHEDULE, full: bool = False
) -> dict[str, Any]:
    """Sync one connection; the result says what happened (django-q2 stores it)."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return {"connection_id": connection_id, "result": "connection no longer exists"}
    try:
        run = sync_connection(connection=connection, trigger=trigger, full=full)
    except SyncRefused as refusal:
        logger.info("Sync of connection %s not started: %s", connection_id, refusal.message)
        return {"connection_id": connection_id, "result": refusal.message}
    return {
        "connection_id": connection_id,
        "sync_run_id": run.pk,
        "result": run.status,
        "error": run.error_message,
    }


def sync_all_connections(enqueue: Callable[..., object] | None = None) -> int:
    """Fan out: queue one sync per active connection not already syncing; returns how many."""
    queued = 0
    idle = Connection.objects.active().exclude(sync_lease_expires_at__gt=timezone.now())
    for connection in idle.only("pk"):
        try:
            connection_sync_enqueue(
                connection=connection, trigger=SyncTrigger.SCHEDULE, enqueue=enqueue
            )
        except Exception:
            logger.exception("Could not queue the sync of connection %s", connection.pk)
            continue
        queued += 1
    return queued
