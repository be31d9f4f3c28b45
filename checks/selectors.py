"""Reads of check results for Monitoring, the drill-down and entity pages. Each one starts from
the organisation it is asked about and runs a bounded number of queries."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, QuerySet

from checks.models import (
    STATUS_SEVERITY,
    CheckResult,
    CheckResultChange,
    CheckStatus,
    CheckSummary,
    CheckSummaryChange,
    CheckTrendPoint,
    SpecialCase,
)
from integrations.models import Connection, ConnectionStatus
from tenants.models import Organization

TREND_DAYS = 14
SPECIAL_CASE_FILTER = "special_case"
EXPIRED_FILTER = "expired"


def check_summary_map(*, organization: Organization) -> dict[str, CheckSummary]:
    return {
        summary.check_code: summary
        for summary in CheckSummary.objects.filter(organization=organization)
    }


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


def _expired_special_cases(*, organization: Organization, today: date) -> QuerySet[SpecialCase]:
    """Expired special cases of entities that have no special case counting today."""
    counting = SpecialCase.objects.active(on=today).filter(
        organization=organization,
        check_code=OuterRef("check_code"),
        entity_type=OuterRef("entity_type"),
        entity_id=OuterRef("entity_id"),
    )
    return (
        SpecialCase.objects.expired(on=today)
        .filter(organization=organization)
        .exclude(Exists(counting))
    )


def expired_special_case_counts(*, organization: Organization, today: date) -> dict[str, int]:
    """{check code: how many entities' special cases have expired} (one query)."""
    counts: dict[str, int] = defaultdict(int)
    for check_code in _expired_special_cases(organization=organization, today=today).values_list(
        "check_code", flat=True
    ):
        counts[check_code] += 1
    return counts


def expired_special_case_map(
    *, organization: Organization, check_code: str, entity_ids: Iterable[int], today: date
) -> dict[int, SpecialCase]:
    """{entity id: its expired special case} for a page of one check's entities (one query)."""
    return {
        special_case.entity_id: special_case
        for special_case in _expired_special_cases(organization=organization, today=today).filter(
            check_code=check_code, entity_id__in=list(entity_ids)
        )
    }


def check_result_list(
    *, organization: Organization, check_code: str, status: str = "", today: date | None = None
) -> QuerySet[CheckResult]:
    """A check's entities. `status` "special_case" lists those a special case made passing;
    "expired" those whose special case has expired (`today`); blank all applicable ones."""
    queryset = CheckResult.objects.filter(organization=organization, check_code=check_code)
    if status == SPECIAL_CASE_FILTER:
        queryset = queryset.filter(special_case__isnull=False)
    elif status == EXPIRED_FILTER:
        expired = _expired_special_cases(organization=organization, today=today).filter(
            check_code=check_code, entity_id=OuterRef("entity_id")
        )
        queryset = queryset.filter(Exists(expired))
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


def checks_evaluated(*, organization: Organization, check_codes: Iterable[str]) -> bool:
    """Whether any of these checks has been evaluated for the organisation yet (pages say
    "Checks pending" rather than "Not applicable" until the first evaluation)."""
    return CheckSummary.objects.filter(
        organization=organization, check_code__in=list(check_codes), evaluated_at__isnull=False
    ).exists()


def revoked_connections_with_data(*, organization: Organization) -> list[Connection]:
    """Connections revoked with their synced data kept: browsable, no longer evaluated."""
    revoked = Connection.objects.filter(
        organization=organization, status=ConnectionStatus.REVOKED
    ).select_related("revoked_by")
    return [
        connection for connection in revoked.order_by("subdomain") if connection.keeps_revoked_data
    ]
