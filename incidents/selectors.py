"""Reads for the incident pages (Data Library > Incidents, the incident page, the settings).
Each one starts from the organisation it is asked about and runs a bounded number of queries
whatever the number of incidents."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from checks.evidence import start_of_day
from checks.models import CheckResult, CheckStatus
from checks.registry import checks_for_entity_type
from checks.selectors import check_results_for_entities, worst_status
from incidents.checks import INCIDENT
from incidents.models import DataLossAnswer, DataLossReview, Disclosure
from incidents.rules import DataLossFlag, SlaState, data_loss_flags, sla_rule, sla_state
from incidents.scope import IncidentScope
from integrations.models import (
    Connection,
    IncidentStatus,
    RemoteIncident,
    RemoteIncidentStatusChange,
    RemotePriority,
    RemoteService,
)
from tenants.models import Organization

# --- Settings ----------------------------------------------------------------------------------


def remote_service_list(*, organization: Organization) -> QuerySet[RemoteService]:
    return RemoteService.objects.filter(organization=organization).order_by("name", "pk")


def remote_priority_list(*, organization: Organization) -> QuerySet[RemotePriority]:
    return RemotePriority.objects.filter(organization=organization).order_by("rank", "name", "pk")


def source_service_list(
    *, organization: Organization, scope: IncidentScope
) -> QuerySet[RemoteService]:
    services = remote_service_list(organization=organization).filter(
        connection_id__in=scope.connection_ids
    )
    if scope.source_service_ids is not None:
        services = services.filter(pk__in=scope.source_service_ids)
    return services


def report_email_suggestions(*, organization: Organization) -> list[str]:
    """Addresses of the services' PagerDuty email integrations."""
    addresses: list[str] = []
    for email_addresses in remote_service_list(organization=organization).values_list(
        "email_addresses", flat=True
    ):
        for address in email_addresses or []:
            if isinstance(address, str) and address and address not in addresses:
                addresses.append(address)
    return addresses


def connection_state(*, scope: IncidentScope, connections: list[Connection]) -> str:
    """ "not_connected", "not_synced" or "synced": which empty state a page shows."""
    if not scope.is_connected:
        return "not_connected"
    if not any(connection.last_synced_at for connection in connections):
        return "not_synced"
    return "synced"


# --- Incident list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFilters:
    search: str = ""
    failing_only: bool = False
    severity: str = ""  # "urgency:high", "urgency:low" or "priority:<id>"
    status: str = ""
    source_id: int | None = None
    data_loss: str = ""  # "yes", "no", "not_answered", "to_review"
    created_from: date | None = None
    created_to: date | None = None
    check_status: str = ""  # incidents with at least one check in this status (the API's filter)


def incident_list(
    *, organization: Organization, scope: IncidentScope, filters: IncidentFilters
) -> QuerySet[RemoteIncident]:
    queryset = scope.incidents(organization=organization).select_related(
        "service", "priority", "data_loss_review"
    )
    if filters.search:
        queryset = queryset.filter(_search_condition(filters.search))
    if filters.severity.startswith("urgency:"):
        queryset = queryset.filter(urgency=filters.severity.removeprefix("urgency:"))
    elif filters.severity.startswith("priority:"):
        queryset = queryset.filter(priority_id=filters.severity.removeprefix("priority:"))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.source_id:
        queryset = queryset.filter(service_id=filters.source_id)
    if filters.created_from:
        queryset = queryset.filter(created_at_remote__gte=start_of_day(filters.created_from))
    if filters.created_to:
        next_day = start_of_day(filters.created_to + timedelta(days=1))
        queryset = queryset.filter(created_at_remote__lt=next_day)
    # (NOT) EXISTS rather than a join with OR: the planner estimates it well and keeps walking
    # the list's index newest first (the OR over a LEFT JOIN made it sort every incident).
    reviews = DataLossReview.objects.filter(incident_id=OuterRef("pk"))
    answered = Exists(reviews.exclude(data_loss=DataLossAnswer.NOT_ANSWERED))
    if filters.data_loss in (DataLossAnswer.YES, DataLossAnswer.NO):
        queryset = queryset.filter(Exists(reviews.filter(data_loss=filters.data_loss)))
    elif filters.data_loss == "not_answered":
        queryset = queryset.filter(~answered)
    elif filters.data_loss == "to_review":
        queryset = queryset.filter(~answered, status=IncidentStatus.RESOLVED)
    for check_status in {CheckStatus.FAILING if filters.failing_only else "", filters.check_status}:
        if check_status:
            queryset = queryset.filter(
                Exists(
                    CheckResult.objects.filter(
                        organization=organization,
                        entity_type=INCIDENT,
                        entity_id=OuterRef("pk"),
                        status=check_status,
                    )
                )
            )
    return queryset.order_by("-created_at_remote", "-pk")


def _search_condition(search: str) -> Q:
    """ "#42" is incident 42 (through the number index alone); anything else is looked up in
    titles (pg_trgm index on PostgreSQL), as a PagerDuty id, and as a number when it is one."""
    term = search.strip()
    if term.startswith("#") and term[1:].isdigit():
        return Q(number=int(term[1:]))
    term = term.lstrip("#")
    condition = Q(title__icontains=term) | Q(external_id__iexact=term)
    if term.isdigit():
        condition |= Q(number=int(term))
    return condition


def incident_severity_label(incident: RemoteIncident) -> str:
    """The "Severity" column: the priority when PagerDuty has one, with the urgency."""
    urgency = incident.urgency or "high"
    if incident.priority_id and incident.priority:
        return f"{incident.priority.name} · {urgency}"
    return f"{urgency} urgency"


def incident_data_loss_state(
    incident: RemoteIncident, field_name: str, review: DataLossReview | None
) -> dict[str, Any]:
    """The "Data loss" column: the answer, why it was flagged, and a "flagged" or "to review"
    marker while nobody has answered."""
    answer = review.data_loss if review else DataLossAnswer.NOT_ANSWERED
    flags = data_loss_flags(
        resolution_note=incident.resolution_note,
        custom_fields=incident.custom_fields,
        data_loss_field=incident.data_loss_field,
        field_name=field_name,
        answer=answer,
    )
    marker = ""
    if not answer and flags:
        marker = "flagged"
    elif not answer and incident.status == IncidentStatus.RESOLVED:
        marker = "to review"
    return {
        "answer": answer,
        "label": DataLossAnswer(answer).label,
        "flags": [DataLossFlag(flag).label for flag in flags],
        "marker": marker,
    }


def incident_list_rows(
    *, organization: Organization, scope: IncidentScope, incidents: Iterable[RemoteIncident]
) -> list[dict[str, Any]]:
    """The rows of one page of the incident list, with each incident's checks (one query)."""
    incidents = list(incidents)
    results = check_results_for_entities(
        organization=organization,
        entity_type=INCIDENT,
        entity_ids=[incident.pk for incident in incidents],
    )
    incident_checks = checks_for_entity_type(INCIDENT)
    rows = []
    for incident in incidents:
        incident_results = results.get(incident.pk, {})
        rows.append(
            {
                "incident": incident,
                "severity": incident_severity_label(incident),
                "data_loss": incident_data_loss_state(
                    incident,
                    scope.policy.data_loss_field_name,
                    getattr(incident, "data_loss_review", None),
                ),
                "checks": [(check, incident_results.get(check.code)) for check in incident_checks],
                "worst": worst_status(result.status for result in incident_results.values()),
            }
        )
    return rows


# --- Incident page -----------------------------------------------------------------------------


def incident_sla_state(
    *, incident: RemoteIncident, scope: IncidentScope, now: datetime
) -> SlaState:
    """The incident's SLA, deadline, and time left, overdue, or how late it was resolved."""
    return sla_state(
        rule=sla_rule(
            policy=scope.policy,
            priority_sla=scope.priority_sla,
            urgency=incident.urgency,
            priority_id=incident.priority_id,
        ),
        created_at=incident.created_at_remote,
        status=incident.status,
        resolved_at=incident.resolved_at,
        last_status_change_at=incident.last_status_change_at,
        now=now,
    )


def incident_status_history(
    *, organization: Organization, incident: RemoteIncident
) -> QuerySet[RemoteIncidentStatusChange]:
    return RemoteIncidentStatusChange.objects.filter(
        organization=organization, incident=incident
    ).order_by("at", "pk")


def data_loss_review_get(
    *, organization: Organization, incident: RemoteIncident
) -> DataLossReview | None:
    return (
        DataLossReview.objects.filter(organization=organization, incident=incident)
        .prefetch_related("disclosures")
        .first()
    )


def disclosures_by_stakeholder(review: DataLossReview | None) -> dict[str, Disclosure]:
    if review is None:
        return {}
    return {disclosure.stakeholder: disclosure for disclosure in review.disclosures.all()}
