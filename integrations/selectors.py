"""Reads of connections and sync runs, each starting from the organisation."""

from django.db.models import QuerySet

from integrations.models import AuthType, Connection, SyncRun
from integrations.pagerduty.oauth import missing_scopes
from tenants.models import Membership, Organization
from tenants.permissions import Action, role_can


def connection_list(
    *, organization: Organization, include_revoked: bool = False
) -> QuerySet[Connection]:
    queryset = organization.connections.select_related("authorized_by")
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
