"""Reads of connections and sync runs, each starting from the organisation."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from integrations.models import AuthType, Connection, SyncRun, SyncRunStatus
from integrations.pagerduty.oauth import missing_scopes
from tenants.models import AuditEvent, Membership, Organization
from tenants.permissions import Action, role_can


def connection_list(
    *, organization: Organization, include_revoked: bool = False
) -> QuerySet[Connection]:
    queryset = organization.connections.select_related("authorized_by", "revoked_by")
    if not include_revoked:
        queryset = queryset.not_revoked()
    return queryset.order_by("subdomain")


def sync_run_list(*, connection: Connection, limit: int = 20) -> QuerySet[SyncRun]:
    return connection.sync_runs.order_by("-started_at", "-id")[:limit]


def connection_missing_scopes(*, connection: Connection) -> tuple[str, ...]:
    """OAuth scopes PagerDuty did not grant (an API key has no scopes to miss)."""
    if connection.auth_type != AuthType.OAUTH:
        return ()
    return missing_scopes(connection.granted_scopes)


def organization_for_connecting(*, user: object, organization_id: int) -> Organization | None:
    """The organisation an OAuth flow was started for, while the user may still connect there.

    The flow ends on a URL outside ``/o/<slug>/`` (PagerDuty's redirect), so the membership and
    role are looked up again rather than taken from the request.
    """
    membership = (
        Membership.objects.select_related("organization")
        .filter(user=user, organization_id=organization_id)
        .first()
    )
    if membership is None or not role_can(membership.role, Action.MANAGE_INTEGRATIONS):
        return None
    return membership.organization


SYNC_QUEUED_FOR = timedelta(minutes=5)
"""How long after "Sync now" the page waits for the queued sync to start before it stops
saying "queued" (a worker picks it up within a minute when one is running)."""


@dataclass(frozen=True)
class SyncProgress:
    """What a connection's page says about the sync in progress: ``state`` is "running" (a run
    holds the lease), "queued" ("Sync now" asked, no run started since) or "idle"."""

    state: str
    run: SyncRun | None = None
    elapsed: timedelta | None = None
    requested_at: datetime | None = None
    requested_by: str = ""

    @property
    def elapsed_text(self) -> str:
        """ "4 s", "2 min 05 s", "1 h 03 min"."""
        if self.elapsed is None:
            return ""
        seconds = max(int(self.elapsed.total_seconds()), 0)
        if seconds < 60:
            return f"{seconds} s"
        if seconds < 3600:
            return f"{seconds // 60} min {seconds % 60:02d} s"
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"

    @property
    def live(self) -> bool:
        """Whether the page should keep polling for news."""
        return self.state in ("running", "queued")


def connection_sync_progress(*, connection: Connection, now: datetime) -> SyncProgress:
    """The run in progress with its counts so far (saved while it runs, see
    ``SyncContext.page_done``), or the last "Sync now" still waiting for a worker (two queries)."""
    latest = connection.sync_runs.order_by("-started_at", "-id").first()
    if latest is not None and latest.status == SyncRunStatus.RUNNING and connection.is_syncing:
        return SyncProgress(state="running", run=latest, elapsed=now - latest.started_at)
    request = (
        AuditEvent.objects.filter(
            organization_id=connection.organization_id,
            action="connection.sync_requested",
            target_type=Connection._meta.label,
            target_id=str(connection.pk),
            created_at__gte=now - SYNC_QUEUED_FOR,
        )
        .select_related("actor")
        .order_by("-created_at")
        .first()
    )
    if request is not None and (latest is None or latest.started_at < request.created_at):
        return SyncProgress(
            state="queued",
            requested_at=request.created_at,
            requested_by=request.actor.email if request.actor else "",
        )
    return SyncProgress(state="idle", run=latest)
