"""What integrations puts on the dashboard: the sync state of every connection (one query),
and the "Connect PagerDuty" setup step."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus


def _row(connection: Connection) -> dict[str, Any]:
    interval = timedelta(minutes=settings.SYNC_INTERVAL_MINUTES)
    revoked = connection.status == ConnectionStatus.REVOKED
    return {
        "connection": connection,
        "revoked": revoked,
        "keeps_data": revoked and connection.keeps_revoked_data,
        "syncing": connection.is_syncing and not revoked,
        "next_sync_at": (
            connection.last_synced_at + interval
            if connection.last_synced_at and not revoked
            else None
        ),
        "next_sync_overdue": bool(
            connection.last_synced_at and connection.last_synced_at + interval <= timezone.now()
        ),
        "needs_action": connection.status != ConnectionStatus.CONNECTED and not revoked,
    }


def sync_state_context(request: HttpRequest) -> dict[str, Any] | None:
    organization = request.organization
    connections = [
        _row(connection)
        for connection in Connection.objects.filter(organization=organization).order_by(
            "subdomain", "pk"
        )
        if connection.status != ConnectionStatus.REVOKED or connection.keeps_revoked_data
    ]
    if not connections:
        return None  # the setup checklist says "Connect PagerDuty"
    return {"connections": connections, "interval_minutes": settings.SYNC_INTERVAL_MINUTES}


def pagerduty_connected(organization: Any) -> bool:
    return Connection.objects.filter(organization=organization).not_revoked().exists()


def connect_url(organization: Any) -> str:
    return reverse("integrations:provider_detail", args=[organization.slug])
