"""The evidence export: one CSV row per entity of every check, with the columns its entity kind
adds. Streams results in chunks, so memory stays flat for any number of rows."""

from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from checks.base import Check
from checks.entity_kinds import entity_kind_get
from checks.models import CheckResult, CheckSummary
from checks.selectors import check_summary_map
from tenants.models import Organization

LEADING_COLUMNS = (
    "check_code",
    "check_title",
    "entity_type",
    "pagerduty_id",
    "title",
)
RESULT_COLUMNS = (
    "check_status",
    "evaluated_status",
    "deadline",
    "detail",
    "special_case_reason",
    "special_case_by",
    "special_case_at",
    "special_case_expires_on",
    "check_evaluated_at",
)
EVIDENCE_CHUNK_SIZE = 500


def iso(value: datetime | date | None) -> str:
    return value.isoformat() if value else ""


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def evidence_columns(checks: Iterable[Check]) -> list[str]:
    """The engine's columns, then each entity kind's own, in the order the checks come."""
    columns = [*LEADING_COLUMNS]
    kind_columns: list[str] = []
    for check in checks:
        for column in entity_kind_get(check.entity_type).evidence_columns:
            if column not in kind_columns and column not in LEADING_COLUMNS + RESULT_COLUMNS:
                kind_columns.append(column)
    return [*columns, *RESULT_COLUMNS, *kind_columns]


def evidence_rows(
    *, organization: Organization, checks: Iterable[Check], start: date, end: date
) -> Iterator[list[Any]]:
    """CSV rows (header first) of every check's entities that the export from `start` to `end`
    (days, both included) covers; each entity kind decides which of its entities those are."""
    checks = list(checks)
    columns = evidence_columns(checks)
    yield columns
    summaries = check_summary_map(organization=organization)
    range_start, range_end = start_of_day(start), start_of_day(end + timedelta(days=1))
    for check in checks:
        kind = entity_kind_get(check.entity_type)
        results = CheckResult.objects.filter(
            organization=organization, check_code=check.code, entity_type=check.entity_type
        ).select_related("special_case__created_by")
        in_range = kind.evidence_in_range(
            organization=organization, start=range_start, end=range_end
        )
        if in_range is not None:
            results = results.filter(entity_id__in=in_range)
        chunk: list[CheckResult] = []
        summary = summaries.get(check.code)
        for result in results.order_by("entity_id").iterator(chunk_size=EVIDENCE_CHUNK_SIZE):
            chunk.append(result)
            if len(chunk) >= EVIDENCE_CHUNK_SIZE:
                yield from _evidence_chunk(organization, check, summary, chunk, columns)
                chunk = []
        if chunk:
            yield from _evidence_chunk(organization, check, summary, chunk, columns)


def _evidence_chunk(
    organization: Organization,
    check: Check,
    summary: CheckSummary | None,
    results: list[CheckResult],
    columns: list[str],
) -> Iterator[list[Any]]:
    kind = entity_kind_get(check.entity_type)
    kind_values = kind.evidence_values(organization=organization, results=results)
    for result in results:
        row: dict[str, Any] = {
            "check_code": check.code,
            "check_title": check.title,
            "entity_type": result.entity_type,
            "pagerduty_id": result.entity_external_id,
            "title": result.entity_label,
            "check_status": result.status,
            "evaluated_status": result.evaluated_status,
            "detail": result.detail,
            "deadline": iso(result.deadline),
            "check_evaluated_at": iso(summary.evaluated_at) if summary else "",
        }
        row.update(kind_values.get(result.entity_id, {}))
        special_case = result.special_case
        if special_case is not None:
            row["special_case_reason"] = special_case.reason
            row["special_case_by"] = (
                special_case.created_by.email if special_case.created_by else ""
            )
            row["special_case_at"] = iso(special_case.created_at)
            row["special_case_expires_on"] = iso(special_case.expires_on)
        yield [row.get(column, "") for column in columns]
