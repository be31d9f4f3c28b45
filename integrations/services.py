"""Writes on connections that do not depend on the provider: storing a connection, its state,
syncs asked for, purposes, revoke and purge.

A connection's ``status`` (with ``last_error``) changes in one place, ``connection_mark_status``.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.hooks import connection_revoked
from integrations.models import SYNCED_MODELS, Connection, ConnectionStatus, SyncRun, SyncTrigger
from sprintolike.actors import user_or_none
from sprintolike.tasks import enqueue as enqueue_task
from tenants.models import Organization
from tenants.services import audit_event_record

SYNC_TASK = "integrations.tasks.sync_connection_task"


class SyncNotAllowed(Exception):
    """A sync was asked for but cannot start now; ``message`` tells the user why."""

    def __init__(self, message: str, *, already_syncing: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.already_syncing = already_syncing


def connection_mark_status(
    *,
    connection: Connection,
    status: str,
    error_message: str = "",
    synced_at: datetime | None = None,
    reconnecting: bool = False,
) -> Connection:
    """Record a new state and, for problems, the error the user should read and act on.

    "Connected" clears the last error. ``synced_at`` also records a finished sync. A revoked
    connection keeps its state (a sync still running when it was revoked must not bring it
    back) unless it is being connected again (``reconnecting``).
    """
    at = synced_at or timezone.now()
    fields: dict[str, Any] = {"status": status, "updated_at": at}
    if status == ConnectionStatus.CONNECTED:
        fields.update(last_error="", last_error_at=None)
    elif error_message:
        fields.update(last_error=error_message, last_error_at=at)
    if synced_at is not None:
        fields["last_synced_at"] = synced_at
    rows = Connection.objects.filter(pk=connection.pk)
    if not reconnecting:
        rows = rows.not_revoked()
    rows.update(**fields)
    connection.refresh_from_db()
    return connection


def connection_store(
    *,
    organization: Organization,
    provider: str,
    region: str,
    subdomain: str,
    purposes: list[str],
    acting_user: Any,
    credentials: dict[str, Any],
    status: str,
    error_message: str = "",
    enqueue: Callable[..., object] | None = None,
) -> Connection:
    """Store a newly authorized account and queue its first sync once the transaction commits.

    One row per organisation and account, so connecting again brings a revoked or stale
    connection back to life with its synced data. ``credentials`` holds the provider's fields
    (auth type, tokens or key, granted scopes, account ids).
    """
    with transaction.atomic():
        connection, created = Connection.objects.select_for_update().get_or_create(
            organization=organization,
            provider=provider,
            region=region,
            subdomain=subdomain,
            defaults={"auth_type": credentials["auth_type"]},
        )
        for name, value in credentials.items():
            setattr(connection, name, value)
        connection.purposes = purposes
        connection.authorized_by = user_or_none(acting_user)
        connection.connected_at = timezone.now()
        connection.revoked_at = None
        connection.revoked_by = None
        connection.save(
            update_fields=[
                *credentials,
                "purposes",
                "authorized_by",
                "connected_at",
                "revoked_at",
                "revoked_by",
                "updated_at",
            ]
        )
        connection_mark_status(
            connection=connection, status=status, error_message=error_message, reconnecting=True
        )
        audit_event_record(
            organization=organization,
            actor=acting_user,
            action="connection.connect",
            target=connection,
            details={
                "auth_type": connection.auth_type,
                "region": region,
                "purposes": purposes,
                "granted_scopes": connection.granted_scopes,
                "status": connection.status,
                "new": created,
            },
        )
        transaction.on_commit(
            lambda: connection_sync_enqueue(
                connection=connection, trigger=SyncTrigger.CONNECT, enqueue=enqueue
            )
        )
    return connection


def connection_sync_enqueue(
    *,
    connection: Connection,
    trigger: str,
    full: bool = False,
    enqueue: Callable[..., object] | None = None,
) -> None:
    """Queue one sync of the connection (``enqueue`` defaults to django-q2's async_task)."""
    enqueue_task(
        SYNC_TASK,
        connection.pk,
        str(trigger),
        full,
        enqueue=enqueue,
        task_name=f"sync:{connection.pk}:{trigger}",
    )


def connection_sync_request(
    *,
    connection: Connection,
    acting_user: Any = None,
    enqueue: Callable[..., object] | None = None,
) -> None:
    """ "Sync now": queue a sync and record who asked (``connection.sync_requested`` in the audit
    log), or raise ``SyncNotAllowed`` saying why it cannot start."""
    if connection.status in (ConnectionStatus.REVOKED, ConnectionStatus.NEEDS_REAUTHORIZATION):
        raise SyncNotAllowed(f"{connection} cannot sync: {connection.next_step}")
    if connection.is_syncing:
        raise SyncNotAllowed(
            "A sync of this connection is already running; its results appear below when it "
            "finishes.",
            already_syncing=True,
        )
    with transaction.atomic():
        audit_event_record(
            organization=connection.organization,
            actor=acting_user,
            action="connection.sync_requested",
            target=connection,
            details={"trigger": str(SyncTrigger.MANUAL)},
        )
        connection_sync_enqueue(connection=connection, trigger=SyncTrigger.MANUAL, enqueue=enqueue)


def connection_update_purposes(
    *, connection: Connection, purposes: list[str], acting_user: Any
) -> Connection:
    with transaction.atomic():
        previous = list(connection.purposes)
        connection.purposes = purposes
        connection.save(update_fields=["purposes", "updated_at"])
        audit_event_record(
            organization=connection.organization,
            actor=acting_user,
            action="connection.update_purposes",
            target=connection,
            details={"from": previous, "to": purposes},
        )
    return connection


def connection_purge_synced_data(*, connection: Connection) -> dict[str, int]:
    """Delete every record synced through the connection; returns counts per model."""
    deleted: dict[str, int] = {}
    for model in SYNCED_MODELS:
        count, _ = model.objects.filter(connection=connection).delete()
        deleted[model._meta.model_name] = count
    SyncRun.objects.filter(connection=connection).delete()
    return deleted


@transaction.atomic
def connection_revoke(*, connection: Connection, acting_user: Any, purge: bool) -> Connection:
    """Stop syncing, delete the stored secrets, mark revoked, and optionally purge synced data.

    PagerDuty has no revocation endpoint, so the page that calls this tells the user where to
    revoke the app's tokens or the API key inside PagerDuty. Once committed, the listeners of
    ``integrations.hooks`` hear of it (the check engine re-evaluates the organisation at once).
    """
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    connection.access_token = ""
    connection.refresh_token = ""
    connection.api_key = ""
    connection.access_token_expires_at = None
    connection.sync_lease_expires_at = None
    connection.revoked_at = timezone.now()
    connection.revoked_by = user_or_none(acting_user)
    connection.save(
        update_fields=[
            "access_token",
            "refresh_token",
            "api_key",
            "access_token_expires_at",
            "sync_lease_expires_at",
            "revoked_at",
            "revoked_by",
            "updated_at",
        ]
    )
    connection_mark_status(connection=connection, status=ConnectionStatus.REVOKED)
    deleted = connection_purge_synced_data(connection=connection) if purge else {}
    if purge:
        connection.forget_sync_progress()
        connection.save(update_fields=list(Connection.SYNC_PROGRESS_FIELDS))
    audit_event_record(
        organization=connection.organization,
        actor=acting_user,
        action="connection.revoke",
        target=connection,
        details={"purged": purge, "deleted": deleted},
    )
    connection_revoked(organization_id=connection.organization_id)
    return connection
