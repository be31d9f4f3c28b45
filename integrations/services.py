"""Writes on connections that do not depend on the provider: state changes, revoke, purge."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from integrations.models import SYNCED_MODELS, Connection, ConnectionStatus, SyncRun, SyncTrigger
from sprintolike.actors import user_or_none
from tenants.services import audit_event_record


def connection_mark_status(
    *, connection: Connection, status: str, error_message: str = ""
) -> Connection:
    """Record a new state and, for problems, the error the user should read and act on."""
    fields = {"status": status, "updated_at": timezone.now()}
    if error_message:
        fields.update(last_error=error_message, last_error_at=timezone.now())
    Connection.objects.filter(pk=connection.pk).exclude(status=ConnectionStatus.REVOKED).update(
        **fields
    )
    connection.refresh_from_db()
    return connection


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
    revoke the app's tokens or the API key inside PagerDuty.
    """
    connection = Connection.objects.select_for_update().get(pk=connection.pk)
    connection.status = ConnectionStatus.REVOKED
    connection.access_token = ""
    connection.refresh_token = ""
    connection.api_key = ""
    connection.access_token_expires_at = None
    connection.sync_lease_expires_at = None
    connection.revoked_at = timezone.now()
    connection.revoked_by = user_or_none(acting_user)
    connection.save()
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
    return connection


def connection_after_connect(*, connection: Connection) -> None:
    """Start the first sync in the background as soon as an account is connected."""
    from integrations.tasks import sync_connection_enqueue

    transaction.on_commit(
        lambda: sync_connection_enqueue(connection=connection, trigger=SyncTrigger.CONNECT)
    )
