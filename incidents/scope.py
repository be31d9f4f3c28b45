"""Which incidents count: the policy, the connections synced for incident management and the
chosen sources. The checks, the pages and the evidence export all start from `IncidentScope`."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from incidents.models import IncidentPolicy, IncidentSource, PrioritySla
from integrations.models import Connection, Purpose, RemoteIncident
from tenants.models import Organization


def incident_policy_get(*, organization: Organization) -> IncidentPolicy:
    """The organisation's policy, or an unsaved one with the defaults (nothing is written on a
    read: the row appears when an admin first saves the settings)."""
    policy = IncidentPolicy.objects.filter(organization=organization).first()
    return policy or IncidentPolicy(organization=organization)


def incident_connections(
    *, organization: Organization, connections: Iterable[Connection] | None = None
) -> list[Connection]:
    """Connections synced for incident management (revoked ones no longer count)."""
    if connections is None:
        connections = Connection.objects.filter(organization=organization)
    return [
        connection for connection in connections if connection.serves(Purpose.INCIDENT_MANAGEMENT)
    ]


def incident_browsable_connections(
    *, organization: Organization, connections: Iterable[Connection] | None = None
) -> list[Connection]:
    """Connections whose incidents the pages list: the evaluated ones (`incident_connections`)
    and those revoked with their data kept, which stay browsable but are no longer checked."""
    if connections is None:
        connections = Connection.objects.filter(organization=organization).select_related(
            "revoked_by"
        )
    return [
        connection
        for connection in connections
        if connection.has_purpose(Purpose.INCIDENT_MANAGEMENT)
        and (connection.serves(Purpose.INCIDENT_MANAGEMENT) or connection.keeps_revoked_data)
    ]


@dataclass(frozen=True)
class IncidentScope:
    """Which incidents the incident checks and pages look at, and the SLAs that apply."""

    policy: IncidentPolicy
    connection_ids: tuple[int, ...]
    source_service_ids: frozenset[int] | None  # None: every service is a source
    priority_sla: dict[int, tuple[int, str]]  # priority id -> (hours, priority name)

    @property
    def is_connected(self) -> bool:
        return bool(self.connection_ids)

    def incidents(self, *, organization: Organization) -> QuerySet[RemoteIncident]:
        queryset = RemoteIncident.objects.filter(
            organization=organization, connection_id__in=self.connection_ids
        )
        if self.source_service_ids is not None:
            queryset = queryset.filter(service_id__in=self.source_service_ids)
        return queryset

    def includes(self, incident: RemoteIncident) -> bool:
        return incident.connection_id in self.connection_ids and (
            self.source_service_ids is None or incident.service_id in self.source_service_ids
        )


def incident_scope_get(
    *,
    organization: Organization,
    connections: Iterable[Connection] | None = None,
    browsable: bool = False,
) -> IncidentScope:
    """Policy, sources and priority SLAs in at most four queries. The checks' scope reads the
    evaluated connections; the pages' (`browsable=True`) also the revoked ones with data kept."""
    policy = incident_policy_get(organization=organization)
    select = incident_browsable_connections if browsable else incident_connections
    connection_ids = tuple(
        connection.pk for connection in select(organization=organization, connections=connections)
    )
    source_service_ids = None
    if policy.sources_narrowed:
        source_service_ids = frozenset(
            IncidentSource.objects.filter(organization=organization).values_list(
                "service_id", flat=True
            )
        )
    priority_sla = {
        priority_id: (hours, name)
        for priority_id, hours, name in PrioritySla.objects.filter(
            organization=organization
        ).values_list("priority_id", "sla_hours", "priority__name")
    }
    return IncidentScope(
        policy=policy,
        connection_ids=connection_ids,
        source_service_ids=source_service_ids,
        priority_sla=priority_sla,
    )
