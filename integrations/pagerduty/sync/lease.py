"""One sync at a time per connection: a lease taken with one conditional UPDATE.

``sync_lease_acquire`` sets ``Connection.sync_lease_expires_at`` only where it is empty or in
the past, so of two workers racing for the same connection exactly one updates the row (the
database serialises the two UPDATEs and re-checks the condition). The lease expires on its own,
so a worker that crashed never blocks the connection for longer than ``LEASE_DURATION``; a live
sync renews it as it goes. ``last_sync_started_at`` doubles as the lease's token: renewing and
releasing only touch the row while it still holds the token this worker wrote.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus

LEASE_DURATION = timedelta(minutes=10)
LEASE_RENEW_INTERVAL_SECONDS = 60.0


class SyncRefused(Exception):
    """The sync did not start; ``message`` tells the user why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SyncAlreadyRunning(SyncRefused):
    """Another worker holds this connection's lease."""

    def __init__(self, *, started_at: datetime | None, expires_at: datetime | None) -> None:
        started = f" (started {started_at:%Y-%m-%d %H:%M:%S} UTC)" if started_at else ""
        super().__init__(
            f"A sync of this connection is already running{started}. Its results appear on the "
            "connection page when it finishes."
        )
        self.started_at = started_at
        self.expires_at = expires_at


class SyncConnectionRevoked(SyncRefused):
    def __init__(self) -> None:
        super().__init__("This connection was revoked; connect PagerDuty again to sync.")


class SyncLeaseLost(Exception):
    """The lease expired and another worker took it, or the connection was revoked mid-sync."""


@dataclass
class SyncLease:
    connection_id: int
    token: datetime
    expires_at: datetime
    _next_renewal_at: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._next_renewal_at = time.monotonic() + LEASE_RENEW_INTERVAL_SECONDS

    def _mine(self):
        return Connection.objects.filter(pk=self.connection_id, last_sync_started_at=self.token)

    def renew_if_due(self) -> None:
        """Extend the lease about once a minute while the sync makes progress."""
        if time.monotonic() >= self._next_renewal_at:
            self.renew()

    def renew(self) -> None:
        expires_at = timezone.now() + LEASE_DURATION
        renewed = self._mine().not_revoked().update(sync_lease_expires_at=expires_at)
        if not renewed:
            raise SyncLeaseLost(
                "The sync stopped: the connection was revoked, or the sync stalled so long that "
                "another one took over."
            )
        self.expires_at = expires_at
        self._next_renewal_at = time.monotonic() + LEASE_RENEW_INTERVAL_SECONDS

    def release(self) -> None:
        self._mine().update(sync_lease_expires_at=None)


def sync_lease_acquire(*, connection: Connection) -> SyncLease:
    """Take the connection's sync lease, or raise ``SyncAlreadyRunning`` / ``SyncConnectionRevoked``."""
    now = timezone.now()
    expires_at = now + LEASE_DURATION
    acquired = (
        Connection.objects.filter(pk=connection.pk)
        .not_revoked()
        .filter(Q(sync_lease_expires_at__isnull=True) | Q(sync_lease_expires_at__lte=now))
        .update(sync_lease_expires_at=expires_at, last_sync_started_at=now)
    )
    if acquired:
        connection.sync_lease_expires_at = expires_at
        connection.last_sync_started_at = now
        return SyncLease(connection_id=connection.pk, token=now, expires_at=expires_at)
    current = (
        Connection.objects.filter(pk=connection.pk)
        .values("status", "last_sync_started_at", "sync_lease_expires_at")
        .first()
    )
    if current is None or current["status"] == ConnectionStatus.REVOKED:
        raise SyncConnectionRevoked()
    raise SyncAlreadyRunning(
        started_at=current["last_sync_started_at"], expires_at=current["sync_lease_expires_at"]
    )
