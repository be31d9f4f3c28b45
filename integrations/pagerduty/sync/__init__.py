"""Syncing a PagerDuty connection into the data library (see ``engine`` for how).

``mapping`` turns PagerDuty JSON into field values, ``upsert`` writes one page at a time,
``lease`` keeps one sync per connection, ``engine`` orders the reads and records the run.
"""

from integrations.pagerduty.sync.engine import sync_connection
from integrations.pagerduty.sync.lease import (
    SyncAlreadyRunning,
    SyncConnectionRevoked,
    SyncLease,
    SyncRefused,
    sync_lease_acquire,
)

__all__ = [
    "SyncAlreadyRunning",
    "SyncConnectionRevoked",
    "SyncLease",
    "SyncRefused",
    "sync_connection",
    "sync_lease_acquire",
]
