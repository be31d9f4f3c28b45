"""Reads of connections and sync runs, each starting from the organisation."""

from django.db.models import QuerySet

from integrations.models import Connection, SyncRun
from tenants.models import Organization


def connection_list(
    *, organization: Organization, include_revoked: bool = False
) -> QuerySet[Connection]:
    queryset = organization.connections.select_related("authorized_by")
    if not include_revoked:
        queryset = queryset.not_revoked()
    return queryset.order_by("subdomain")


def sync_run_list(*, connection: Connection, limit: int = 20) -> QuerySet[SyncRun]:
    return connection.sync_runs.order_by("-started_at", "-id")[:limit]
