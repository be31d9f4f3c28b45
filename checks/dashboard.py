"""What checks puts on the organisation's dashboard: each check's posture and the failing
entities that need action first (two queries whatever the number of entities on PostgreSQL)."""

from typing import Any

from django.db import connection
from django.http import HttpRequest
from django.urls import reverse

from checks.entity_kinds import entity_kind_get
from checks.models import CheckResult, CheckStatus
from checks.registry import check_get, check_list
from checks.selectors import check_summary_map

NEEDS_ATTENTION_LIMIT = 10
PER_CHECK = 3


def first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + "." if dot else text


def _longest_failing(*, organization: Any, codes: list[str], per_check: int) -> list[CheckResult]:
    """Each check's `per_check` longest-failing results, in one query where the database can
    (a UNION of per-check LIMITs, each read from the status-since index: no ranking of every
    failing row), else one small query per check."""
    per_check_queries = [
        CheckResult.objects.filter(
            organization=organization, check_code=code, status=CheckStatus.FAILING
        ).order_by("status_since", "id")[:per_check]
        for code in codes
    ]
    if not per_check_queries:
        return []
    if connection.features.supports_slicing_ordering_in_compound:
        first, *others = per_check_queries
        return list(first.union(*others, all=True))
    return [result for query in per_check_queries for result in query]


def needs_attention(
    *, organization: Any, limit: int = NEEDS_ATTENTION_LIMIT, per_check: int = PER_CHECK
) -> list[dict]:
    """The failing entities that need action, grouped by check: each failing check's longest
    failing entities (at most `per_check`, `limit` in all, taking each check's first before any
    check's second), so every failing check shows up."""
    codes = [check.code for check in check_list()]
    rank: dict[str, int] = {}
    ranked = []
    for result in sorted(
        _longest_failing(organization=organization, codes=codes, per_check=per_check),
        key=lambda result: (result.check_code, result.status_since, result.pk),
    ):
        rank[result.check_code] = rank.get(result.check_code, 0) + 1
        ranked.append((rank[result.check_code], result.status_since, result.pk, result))
    ranked = [result for *_key, result in sorted(ranked, key=lambda item: item[:3])[:limit]]
    groups: dict[str, dict] = {}
    for result in ranked:
        check = check_get(result.check_code)
        kind = entity_kind_get(result.entity_type)
        drill_down = (
            reverse("checks:check_detail", args=[organization.slug, check.code]) + "?status=failing"
        )
        group = groups.setdefault(
            check.code,
            {
                "check": check,
                "drill_down": drill_down,
                "what_to_do": first_sentence(check.how_to_fix),
                "items": [],
            },
        )
        group["items"].append(
            {
                "result": result,
                "title": kind.title_of(result) or f"{kind.label} {result.entity_id}",
                "url": kind.detail_url(organization.slug, result.entity_id) or drill_down,
            }
        )
    order = {code: position for position, code in enumerate(codes)}
    return sorted(groups.values(), key=lambda group: order[group["check"].code])


def posture_context(request: HttpRequest) -> dict[str, Any]:
    organization = request.organization
    summaries = check_summary_map(organization=organization)
    rows = []
    for check in check_list():
        summary = summaries.get(check.code)
        rows.append({"check": check, "summary": summary})
    # Failing checks first, then due, then the rest, in registration order.
    severity = {CheckStatus.FAILING: 0, CheckStatus.DUE: 1, CheckStatus.PASSING: 2}
    rows.sort(
        key=lambda row: severity.get(row["summary"].status, 3) if row["summary"] else 4,
    )
    failing_total = sum(row["summary"].failing_count for row in rows if row["summary"])
    attention = needs_attention(organization=organization) if failing_total else []
    for group in attention:
        summary = summaries.get(group["check"].code)
        group["failing_count"] = summary.failing_count if summary else len(group["items"])
    return {
        "rows": rows,
        "evaluated": any(row["summary"] and row["summary"].evaluated_at for row in rows),
        "failing_total": failing_total,
        "due_total": sum(row["summary"].due_count for row in rows if row["summary"]),
        "passing_total": sum(row["summary"].passing_count for row in rows if row["summary"]),
        "needs_attention": attention,
        "shown_count": sum(len(group["items"]) for group in attention),
    }
