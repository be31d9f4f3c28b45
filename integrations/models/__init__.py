"""Integrations: connections to third-party accounts, sync runs, and the records synced from them.

Synced records have provider-neutral names (RemoteService, RemoteAccount, RemoteIncident...) and
are keyed by (connection, external_id). Every row carries its organization, so tenant queries
start from the org like everywhere else.
"""

from integrations.models.connections import (  # noqa: F401
    NEXT_STEPS,
    AuthType,
    Connection,
    ConnectionQuerySet,
    ConnectionStatus,
    Purpose,
    Region,
    RequestBudgetWindow,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)
from integrations.models.records import (  # noqa: F401
    OPEN_INCIDENT_STATUSES,
    SYNCED_MODELS,
    AccountChangeKind,
    IncidentStatus,
    RemoteAccount,
    RemoteAccountChange,
    RemoteIncident,
    RemoteIncidentStatusChange,
    RemoteLicense,
    RemoteNotificationCount,
    RemotePriority,
    RemoteSeatCount,
    RemoteService,
    SyncedRecord,
)
