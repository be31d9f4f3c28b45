"""Reads of checks data. Each one starts from the organisation it is asked about and runs a
bounded number of queries whatever the number of incidents."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from checks.incident_rules import DataLossFlag, data_loss_flags, format_duration, sla_rule
from checks.models import (
    STATUS_SEVERITY,
    CheckResult,
    CheckResultChange,
    CheckStatus,
    CheckSummary,
    CheckSummaryChange,
    CheckTrendPoint,
    DataLossAnswer,
    Disclosure,
    EntityType,
    IncidentPolicy,
    IncidentReview,
    IncidentSource,
    PrioritySla,
    SpecialCase,
)
from integrations.models import (
    Connection,
    IncidentStatus,
    Purpose,
    RemoteIncident,
    RemoteIncidentStatusChange,
    RemotePriority,
    RemoteService,
)
from tenants.models import Organization

# --- Incident policy and scope -----------------------------------------------------------------


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


def incident_scope_get(
    *, organization: Organization, connections: Iterable[Connection] | None = None
) -> IncidentScope:
    """Policy, sources and priority SLAs in at most four queries."""
    policy = incident_policy_get(organization=organization)
    connection_ids = tuple(
        connection.pk
        for connection in incident_connections(organization=organization, connections=connections)
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
    """Addresses of the services' PagerDuty email integrations, sources first."""
    addresses: list[str] = []
    for email_addresses in remote_service_list(organization=organization).values_list(
        "email_addresses", flat=True
    ):
        for address in email_addresses or []:
            if isinstance(address, str) and address and address not in addresses:
                addresses.append(address)
    return addresses


# --- Incident list and page --------------------------------------------------------------------


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


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def incident_list(
    *, organization: Organization, scope: IncidentScope, filters: IncidentFilters
) -> QuerySet[RemoteIncident]:
    queryset = scope.incidents(organization=organization).select_related(
        "service", "priority", "review"
    )
    if filters.search:
        term = filters.search.strip().lstrip("#")
        condition = Q(title__icontains=term) | Q(external_id__iexact=term)
        if term.isdigit():
            condition |= Q(number=int(term))
        queryset = queryset.filter(condition)
    if filters.severity.startswith("urgency:"):
        queryset = queryset.filter(urgency=filters.severity.removeprefix("urgency:"))
    elif filters.severity.startswith("priority:"):
        queryset = queryset.filter(priority_id=filters.severity.removeprefix("priority:"))
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.source_id:
        queryset = queryset.filter(service_id=filters.source_id)
    if filters.created_from:
        queryset = queryset.filter(created_at_remote__gte=_start_of_day(filters.created_from))
    if filters.created_to:
        next_day = _start_of_day(filters.created_to + timedelta(days=1))
        queryset = queryset.filter(created_at_remote__lt=next_day)
    not_answered = Q(review__isnull=True) | Q(review__data_loss=DataLossAnswer.NOT_ANSWERED)
    if filters.data_loss in (DataLossAnswer.YES, DataLossAnswer.NO):
        queryset = queryset.filter(review__data_loss=filters.data_loss)
    elif filters.data_loss == "not_answered":
        queryset = queryset.filter(not_answered)
    elif filters.data_loss == "to_review":
        queryset = queryset.filter(not_answered, status=IncidentStatus.RESOLVED)
    if filters.failing_only:
        queryset = queryset.filter(
            Exists(
                CheckResult.objects.filter(
                    organization=organization,
                    entity_type=EntityType.INCIDENT,
                    entity_id=OuterRef("pk"),
                    status=CheckStatus.FAILING,
                )
            )
        )
    return queryset.order_by("-created_at_remote", "-pk")


def incident_severity_label(incident: RemoteIncident) -> str:
    """The "Severity" column: the priority when PagerDuty has one, with the urgency."""
    urgency = incident.urgency or "high"
    if incident.priority_id and incident.priority:
        return f"{incident.priority.name} · {urgency}"
    return f"{urgency} urgency"


def incident_data_loss_state(
    incident: RemoteIncident, field_name: str, review: IncidentReview | None
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


def incident_sla_state(
    *, incident: RemoteIncident, scope: IncidentScope, now: datetime
) -> dict[str, Any]:
    """The incident's SLA, deadline, and time left, overdue, or how late it was resolved."""
    rule = sla_rule(
        policy=scope.policy,
        priority_sla=scope.priority_sla,
        urgency=incident.urgency,
        priority_id=incident.priority_id,
    )
    deadline = incident.created_at_remote + rule.duration
    state: dict[str, Any] = {"rule": rule, "deadline": deadline, "late": False}
    if incident.status == IncidentStatus.RESOLVED:
        resolved_at = incident.resolved_at or incident.last_status_change_at
        state["resolved_at"] = resolved_at
        if resolved_at and resolved_at > deadline:
            state["state"] = (
                f"Resolved {format_duration(resolved_at - deadline)} after the deadline"
            )
            state["late"] = True
        else:
            state["state"] = "Resolved within the SLA"
    elif now < deadline:
        state["state"] = f"{format_duration(deadline - now)} left"
    else:
        state["state"] = f"Overdue by {format_duration(now - deadline)}"
        state["late"] = True
    return state


def check_results_for_entities(
    *, organization: Organization, entity_type: str, entity_ids: Iterable[int]
) -> dict[int, dict[str, CheckResult]]:
    """{entity id: {check code: result}} for a page of entities, in one query."""
    by_entity: dict[int, dict[str, CheckResult]] = defaultdict(dict)
    results = CheckResult.objects.filter(
        organization=organization, entity_type=entity_type, entity_id__in=list(entity_ids)
    ).select_related("special_case")
    for result in results:
        by_entity[result.entity_id][result.check_code] = result
    return by_entity


def worst_status(statuses: Iterable[str]) -> str:
    """The status an entity's "Checks" column shows: the worst one, ignoring not applicable."""
    applicable = [status for status in statuses if status != CheckStatus.NOT_APPLICABLE]
    if not applicable:
        return CheckStatus.NOT_APPLICABLE
    return max(applicable, key=lambda status: STATUS_SEVERITY[status])


def incident_status_history(
    *, organization: Organization, incident: RemoteIncident
) -> QuerySet[RemoteIncidentStatusChange]:
    return RemoteIncidentStatusChange.objects.filter(
        organization=organization, incident=incident
    ).order_by("at", "pk")


def incident_review_get(
    *, organization: Organization, incident: RemoteIncident
) -> IncidentReview | None:
    return (
        IncidentReview.objects.filter(organization=organization, incident=incident)
        .prefetch_related("disclosures")
        .first()
    )


def special_case_list_for_entity(
    *, organization: Organization, entity_type: str, entity_id: int
) -> QuerySet[SpecialCase]:
    return SpecialCase.objects.filter(
        organization=organization, entity_type=entity_type, entity_id=entity_id
    ).select_related("created_by", "withdrawn_by")


def check_result_changes_for_entity(
    *, organization: Organization, entity_type: str, entity_id: int
) -> QuerySet[CheckResultChange]:
    return CheckResultChange.objects.filter(
        organization=organization, entity_type=entity_type, entity_id=entity_id
    ).order_by("at", "pk")


# --- Monitoring --------------------------------------------------------------------------------


def check_summary_map(*, organization: Organization) -> dict[str, CheckSummary]:
    return {
        summary.check_code: summary
        for summary in CheckSummary.objects.filter(organization=organization)
    }


TREND_DAYS = 14


def check_trend_map(
    *, organization: Organization, today: date, days: int = TREND_DAYS
) -> dict[str, list[CheckTrendPoint]]:
    """The last `days` daily points of every check, oldest first (one query, at most
    days × checks rows)."""
    points: dict[str, list[CheckTrendPoint]] = defaultdict(list)
    for point in CheckTrendPoint.objects.filter(
        organization=organization, day__gt=today - timedelta(days=days)
    ).order_by("day"):
        points[point.check_code].append(point)
    return points


def check_result_list(
    *, organization: Organization, check_code: str, status: str = ""
) -> QuerySet[CheckResult]:
    """A check's entities; `status` "special_case" lists those a special case made passing."""
    queryset = CheckResult.objects.filter(organization=organization, check_code=check_code)
    if status == "special_case":
        queryset = queryset.filter(special_case__isnull=False)
    elif status:
        queryset = queryset.filter(status=status)
    else:
        queryset = queryset.exclude(status=CheckStatus.NOT_APPLICABLE)
    return queryset.select_related("special_case").order_by("deadline", "entity_id")


def check_summary_changes(
    *, organization: Organization, check_code: str, limit: int = 20
) -> list[CheckSummaryChange]:
    return list(
        CheckSummaryChange.objects.filter(organization=organization, check_code=check_code)[:limit]
    )


# --- Evidence export ---------------------------------------------------------------------------

EVIDENCE_COLUMNS = (
    "check_code",
    "check_title",
    "entity_type",
    "pagerduty_id",
    "incident_number",
    "title",
    "service",
    "urgency",
    "priority",
    "incident_status",
    "created_at",
    "resolved_at",
    "resolution_hours",
    "sla_hours",
    "deadline",
    "resolved_late",
    "check_status",
    "evaluated_status",
    "detail",
    "data_loss",
    "data_loss_flagged_by",
    "data_kinds",
    "records_affected",
    "disclosure_required_to",
    "disclosures",
    "review_notes",
    "special_case_reason",
    "special_case_by",
    "special_case_at",
    "check_evaluated_at",
)
EVIDENCE_CHUNK_SIZE = 500


def _iso(value: datetime | date | None) -> str:
    return value.isoformat() if value else ""


def _hours(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 3600:.1f}"


def _incident_evidence_columns(
    incident: RemoteIncident | None,
    result: CheckResult,
    disclosures: list[Disclosure],
    data_loss_field_name: str,
) -> dict[str, Any]:
    if incident is None:
        return {}
    review = getattr(incident, "review", None)
    flags = data_loss_flags(
        resolution_note=incident.resolution_note,
        custom_fields=incident.custom_fields,
        data_loss_field=incident.data_loss_field,
        field_name=data_loss_field_name,
        answer=review.data_loss if review else DataLossAnswer.NOT_ANSWERED,
    )
    resolved_at = incident.resolved_at
    if resolved_at is None and incident.status == IncidentStatus.RESOLVED:
        resolved_at = incident.last_status_change_at
    columns: dict[str, Any] = {
        "incident_number": incident.number,
        "title": incident.title,
        "service": incident.service.name if incident.service else "",
        "urgency": incident.urgency,
        "priority": incident.priority.name if incident.priority else "",
        "incident_status": incident.status,
        "created_at": _iso(incident.created_at_remote),
        "resolved_at": _iso(resolved_at),
        "resolution_hours": _hours(resolved_at - incident.created_at_remote) if resolved_at else "",
        "data_loss_flagged_by": "; ".join(DataLossFlag(flag).label for flag in flags),
    }
    if result.deadline:
        columns["sla_hours"] = _hours(result.deadline - incident.created_at_remote)
        if resolved_at:
            columns["resolved_late"] = "yes" if resolved_at > result.deadline else "no"
    columns["data_loss"] = DataLossAnswer(review.data_loss if review else "").label
    if review is not None:
        columns["review_notes"] = review.notes
    if review is not None and review.data_loss == DataLossAnswer.YES:
        columns.update(_data_loss_detail_columns(review, disclosures))
    return columns


def _data_loss_detail_columns(
    review: IncidentReview, disclosures: list[Disclosure]
) -> dict[str, Any]:
    """Details only count when data was lost; a "no" keeps them stored but not reported."""
    required = [
        disclosure for disclosure in disclosures if disclosure.stakeholder in review.stakeholders
    ]
    kinds = "; ".join(review.get_data_kinds_display())
    if review.other_data_description:
        kinds += f" ({review.other_data_description})"
    return {
        "data_kinds": kinds,
        "records_affected": "" if review.records_affected is None else review.records_affected,
        "disclosure_required_to": "; ".join(review.get_stakeholders_display()),
        "disclosures": "; ".join(
            f"{disclosure.get_stakeholder_display()}: "
            + (f"done {_iso(disclosure.disclosed_on)}" if disclosure.is_complete else "not done")
            + (" (evidence attached)" if disclosure.evidence else "")
            for disclosure in required
        ),
    }


def evidence_rows(
    *, organization: Organization, checks: Iterable[Any], start: date, end: date
) -> Iterator[list[Any]]:
    """CSV rows (header first) of every check's entities, for incidents created from `start` to
    `end` inclusive. Streams results in chunks, so memory stays flat for any number of rows."""
    yield list(EVIDENCE_COLUMNS)
    summaries = check_summary_map(organization=organization)
    data_loss_field_name = incident_policy_get(organization=organization).data_loss_field_name
    created_range = (_start_of_day(start), _start_of_day(end + timedelta(days=1)))
    for check in checks:
        summary = summaries.get(check.code)
        results = CheckResult.objects.filter(
            organization=organization, check_code=check.code
        ).select_related("special_case__created_by")
        if check.entity_type == EntityType.INCIDENT:
            in_range = RemoteIncident.objects.filter(
                organization=organization,
                created_at_remote__gte=created_range[0],
                created_at_remote__lt=created_range[1],
            ).values("pk")
            results = results.filter(entity_id__in=in_range)
        chunk: list[CheckResult] = []
        for result in results.order_by("entity_id").iterator(chunk_size=EVIDENCE_CHUNK_SIZE):
            chunk.append(result)
            if len(chunk) >= EVIDENCE_CHUNK_SIZE:
                yield from _evidence_chunk(
                    organization, check, summary, chunk, data_loss_field_name
                )
                chunk = []
        if chunk:
            yield from _evidence_chunk(organization, check, summary, chunk, data_loss_field_name)


def _evidence_chunk(
    organization: Organization,
    check: Any,
    summary: CheckSummary | None,
    results: list[CheckResult],
    data_loss_field_name: str,
) -> Iterator[list[Any]]:
    incidents: dict[int, RemoteIncident] = {}
    disclosures: dict[int, list[Disclosure]] = defaultdict(list)
    if check.entity_type == EntityType.INCIDENT:
        incidents = {
            incident.pk: incident
            for incident in RemoteIncident.objects.filter(
                organization=organization, pk__in=[result.entity_id for result in results]
            ).select_related("service", "priority", "review")
        }
        review_ids = [
            incident.review.pk for incident in incidents.values() if hasattr(incident, "review")
        ]
        for disclosure in Disclosure.objects.filter(
            organization=organization, review_id__in=review_ids
        ):
            disclosures[disclosure.review_id].append(disclosure)
    for result in results:
        incident = incidents.get(result.entity_id)
        review = getattr(incident, "review", None) if incident else None
        row: dict[str, Any] = {
            "check_code": check.code,
            "check_title": check.title,
            "entity_type": result.entity_type,
            "pagerduty_id": result.entity_external_id,
            "title": result.entity_label,
            "check_status": result.status,
            "evaluated_status": result.evaluated_status,
            "detail": result.detail,
            "deadline": _iso(result.deadline),
            "check_evaluated_at": _iso(summary.evaluated_at) if summary else "",
        }
        row.update(
            _incident_evidence_columns(
                incident,
                result,
                disclosures.get(review.pk, []) if review else [],
                data_loss_field_name,
            )
        )
        special_case = result.special_case
        if special_case is not None:
            row["special_case_reason"] = special_case.reason
            row["special_case_by"] = (
                special_case.created_by.email if special_case.created_by else ""
            )
            row["special_case_at"] = _iso(special_case.created_at)
        yield [row.get(column, "") for column in EVIDENCE_COLUMNS]


# --- Report (manage.py evaluate_checks --json) -------------------------------------------------

REPORT_ENTITY_STATUSES = (CheckStatus.FAILING, CheckStatus.DUE)


def _report_entity(result: CheckResult) -> dict[str, Any]:
    return {
        "entity_type": result.entity_type,
        "pagerduty_id": result.entity_external_id,
        "number": result.entity_number,
        "email": result.entity_email or None,
        "title": result.entity_label,
        "deadline": _iso(result.deadline) or None,
        "detail": result.detail,
    }


def check_report(*, organization: Organization, checks: Iterable[Any]) -> dict[str, Any]:
    """The stable JSON report of `manage.py evaluate_checks --json` (shape in its help)."""
    summaries = check_summary_map(organization=organization)
    entities: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    results = (
        CheckResult.objects.filter(organization=organization, status__in=REPORT_ENTITY_STATUSES)
        .order_by("check_code", "deadline", "entity_id")
        .iterator(chunk_size=2000)
    )
    for result in results:
        entities[(result.check_code, result.status)].append(_report_entity(result))
    report_checks = []
    for check in checks:
        summary = summaries.get(check.code)
        report_checks.append(
            {
                "code": check.code,
                "title": check.title,
                "system": check.system,
                "category": check.category,
                "status": summary.status if summary else CheckStatus.NOT_APPLICABLE,
                "evaluated_at": _iso(summary.evaluated_at) if summary else None,
                "counts": {
                    "passing": summary.passing_count if summary else 0,
                    "due": summary.due_count if summary else 0,
                    "failing": summary.failing_count if summary else 0,
                    "special_cases": summary.special_case_count if summary else 0,
                },
                "failing": entities.get((check.code, CheckStatus.FAILING), []),
                "due": entities.get((check.code, CheckStatus.DUE), []),
            }
        )
    return {"organization": organization.slug, "checks": report_checks}
