"""What checks puts on the organisation's dashboard: each check's posture and the failing
entities that need action first (two queries whatever the number of entities)."""

from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber
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


def needs_attention(
    *, organization: Any, limit: int = NEEDS_ATTENTION_LIMIT, per_check: int = PER_CHECK
) -> list[dict]:
    """The failing entities that need action, grouped by check: each failing check's longest
    failing entities (at most `per_check`, `limit` in all), so every failing check shows up.
    One query (a window function ranks each check's results), whatever the number of
    entities."""
    codes = [check.code for check in check_list()]
    ranked = (
        CheckResult.objects.filter(
            organization=organization, status=CheckStatus.FAILING, check_code__in=codes
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("check_code")],
                order_by=[F("status_since").asc(), F("id").asc()],
            )
        )
        .filter(rank__lte=per_check)
        .order_by("rank", "status_since", "id")[:limit]
    )
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
