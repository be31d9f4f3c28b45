"""What one sync run's steps share: the connection, the client, the counts and notes so far.

A step is a small object with a ``name`` (the resource it counts under), a ``label`` (how the
run's notes and errors name it), ``due(sync)`` and ``run(sync)``; the run executes the steps of
its list in order (see ``run``). Steps hand results to later steps through this context.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from integrations.models import Connection, SyncRun
from integrations.pagerduty.client import PagerDutyClient
from integrations.pagerduty.sync.lease import SyncLease
from integrations.pagerduty.sync.upsert import BulkLoadStatistics, ResourceCounts

PROGRESS_SAVE_SECONDS = 2.0


class SyncStep(Protocol):
    """One kind of data a sync reads; the run executes the steps of its list in order."""

    name: str
    label: str

    def due(self, sync: SyncContext) -> bool:
        """Whether this run reads it (e.g. people on schedule only hourly)."""
        ...

    def run(self, sync: SyncContext) -> None:
        """Read it from PagerDuty and store it, one page per transaction."""
        ...


@dataclass
class SyncContext:
    """The state of one run, handed to every step."""

    connection: Connection
    run: SyncRun
    client: PagerDutyClient
    lease: SyncLease
    now: datetime
    full: bool
    people_due: bool
    counts: dict[str, ResourceCounts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    missing_permissions: list[str] = field(default_factory=list)
    permission_notes: list[str] = field(default_factory=list)
    completed_steps: set[str] = field(default_factory=set)
    statistics: BulkLoadStatistics = field(default_factory=BulkLoadStatistics)
    # Set by the licenses step for the users step: user external id → license pk; None when
    # licenses were not read (licenses are then left as they are rather than cleared).
    license_by_user: Mapping[str, int] | None = None
    _progress_saved_at: float = field(default_factory=time.monotonic, repr=False)

    @property
    def read_until(self) -> datetime:
        """PagerDuty's since/until are sent at whole seconds: read through the current second
        so a change made just before the sync is not left for the next one."""
        return self.now + timedelta(seconds=1)

    def count(self, resource: str) -> ResourceCounts:
        return self.counts.setdefault(resource, ResourceCounts())

    def counts_as_dict(self) -> dict[str, dict[str, int]]:
        """Per resource, in the order the steps first counted them."""
        return {resource: counts.as_dict() for resource, counts in self.counts.items()}

    def save_progress(self) -> None:
        """Show progress on the run row (one UPDATE per step)."""
        SyncRun.objects.filter(pk=self.run.pk).update(
            counts=self.counts_as_dict(),
            request_count=self.client.request_count,
            requests_by_path=dict(self.client.requests_by_path),
            notes=list(self.notes),
        )

    def page_done(self) -> None:
        """Called after each stored page: keeps this run's lease alive and, every
        ``PROGRESS_SAVE_SECONDS``, shows the counts so far on the run (the connection page
        polls them)."""
        self.lease.renew_if_due()
        now = time.monotonic()
        if now - self._progress_saved_at >= PROGRESS_SAVE_SECONDS:
            self._progress_saved_at = now
            # Counts and the request total only: requests may still be in flight on other
            # threads, and their per-path tally is saved after each step.
            SyncRun.objects.filter(pk=self.run.pk).update(
                counts=self.counts_as_dict(), request_count=self.client.request_count
            )

    def update_connection(self, **fields: Any) -> None:
        """Advance the connection's sync progress (watermarks, ``people_synced_at``)."""
        Connection.objects.filter(pk=self.connection.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.connection, name, value)
