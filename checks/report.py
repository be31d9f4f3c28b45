"""The stable JSON report of `manage.py evaluate_checks --json` (its shape is in the command's
help and the README): every check with its counts and its failing and due entities."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from checks.base import Check
from checks.entity_kinds import entity_kind_get
from checks.evidence import iso
from checks.models import CheckResult, CheckStatus
from checks.selectors import check_summary_map
from tenants.models import Organization

REPORT_ENTITY_STATUSES = (CheckStatus.FAILING, CheckStatus.DUE)


def report_entity(result: CheckResult) -> dict[str, Any]:
    """The documented keys, always present (`number` and `email` come from the entity's
    `extra`, null when its kind has none), then the keys its entity kind adds."""
    extra = result.entity_extra or {}
    entity: dict[str, Any] = {
        "entity_type": result.entity_type,
        "pagerduty_id": result.entity_external_id,
        "number": extra.get("number"),
        "email": extra.get("email") or None,
        "title": result.entity_label,
        "deadline": iso(result.deadline) or None,
        "detail": result.detail,
    }
    for key, value in entity_kind_get(result.entity_type).report_fields(result).items():
        entity.setdefault(key, value)
    return entity


def check_report(*, organization: Organization, checks: Iterable[Check]) -> dict[str, Any]:
    summaries = check_summary_map(organization=organization)
    entities: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    results = (
        CheckResult.objects.filter(organization=organization, status__in=REPORT_ENTITY_STATUSES)
        .order_by("check_code", "deadline", "entity_id")
        .iterator(chunk_size=2000)
    )
    for result in results:
        entities[(result.check_code, result.status)].append(report_entity(result))
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
                "evaluated_at": iso(summary.evaluated_at) if summary else None,
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
