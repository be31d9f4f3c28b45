"""Monitoring, a check's drill-down, special cases and the evidence export.

Views stay thin: they read through `checks.selectors`, write through `checks.services`, and
look every object up inside the organisation (`get_in_org`), so a foreign id is a 404. What an
entity is called and where its page is comes from its entity kind.
"""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from checks import selectors, services
from checks.base import Check
from checks.entity_kinds import entity_kind_get
from checks.evidence import evidence_rows
from checks.forms import EVIDENCE_MAX_DAYS, EvidenceExportForm, SpecialCaseForm
from checks.models import CheckResult, CheckStatus, SpecialCase, SpecialCaseState
from checks.registry import check_get, check_list
from sprintolike.csv_stream import csv_streaming_response
from sprintolike.evidence import evidence_response
from sprintolike.pagination import paginate
from tenants.access import get_in_org, org_view
from tenants.permissions import Action

EVIDENCE_DEFAULT_DAYS = 90
DRILL_DOWN_STATUSES = [
    (CheckStatus.FAILING, "Failing"),
    (CheckStatus.DUE, "Due"),
    (CheckStatus.PASSING, "Passing"),
    (selectors.SPECIAL_CASE_FILTER, "Special cases"),
    (selectors.EXPIRED_FILTER, "Expired special cases"),
    ("all", "All"),
]


def _check_or_404(check_code: str) -> Check:
    check = check_get(check_code)
    if check is None:
        raise Http404("No such check.")
    return check


TREND_BAR_WIDTH = 7
TREND_BAR_GAP = 2
TREND_HEIGHT = 28


def _trend_bars(points: list[Any]) -> list[dict[str, Any]]:
    """One SVG bar per day: failing share at the bottom, due share above it (no inline styles,
    so the Content-Security-Policy needs no 'unsafe-inline')."""
    bars: list[dict[str, Any]] = []
    for index, point in enumerate(points):
        total = point.passing_count + point.due_count + point.failing_count
        failing_height = TREND_HEIGHT * point.failing_count / total if total else 0
        due_height = TREND_HEIGHT * point.due_count / total if total else 0
        bars.append(
            {
                "point": point,
                "x": index * (TREND_BAR_WIDTH + TREND_BAR_GAP),
                "failing_y": round(TREND_HEIGHT - failing_height, 2),
                "failing_height": round(failing_height, 2),
                "due_y": round(TREND_HEIGHT - failing_height - due_height, 2),
                "due_height": round(due_height, 2),
            }
        )
    return bars


def _counted_before(summary: Any, revoked_at: Any) -> bool:
    """Whether a check's counts predate a revocation (the evaluation the revocation queued
    has not run yet): shown as stale, not as live figures."""
    return bool(
        summary and summary.evaluated_at and revoked_at and summary.evaluated_at < revoked_at
    )


@org_view(Action.VIEW)
def monitoring(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    today = timezone.localdate()
    summaries = selectors.check_summary_map(organization=organization)
    trends = selectors.check_trend_map(organization=organization, today=today)
    expired = selectors.expired_special_case_counts(organization=organization, today=today)
    revoked = selectors.revoked_connections_with_data(organization=organization)
    last_revoked_at = max((connection.revoked_at for connection in revoked), default=None)
    return render(
        request,
        "checks/monitoring.html",
        {
            "revoked_connections": revoked,
            "rows": [
                {
                    "check": check,
                    "summary": summaries.get(check.code),
                    "stale": _counted_before(summaries.get(check.code), last_revoked_at),
                    "trend": _trend_bars(trends.get(check.code, [])),
                    "trend_width": len(trends.get(check.code, []))
                    * (TREND_BAR_WIDTH + TREND_BAR_GAP),
                    "expired_count": expired.get(check.code, 0),
                }
                for check in check_list()
            ],
            "export_form": EvidenceExportForm(
                initial={"start": today - timedelta(days=EVIDENCE_DEFAULT_DAYS), "end": today}
            ),
        },
    )


def _tabs_with_counts(*, summary: Any, expired_count: int) -> list[tuple[str, str, int | None]]:
    """The drill-down tabs with how many entities each holds (none for "All")."""
    counts: dict[str, int | None] = {
        CheckStatus.FAILING: summary.failing_count if summary else 0,
        CheckStatus.DUE: summary.due_count if summary else 0,
        CheckStatus.PASSING: summary.passing_count if summary else 0,
        selectors.SPECIAL_CASE_FILTER: summary.special_case_count if summary else 0,
        selectors.EXPIRED_FILTER: expired_count,
    }
    return [(value, label, counts.get(value)) for value, label in DRILL_DOWN_STATUSES]


@org_view(Action.VIEW)
def check_detail(request: HttpRequest, check_code: str) -> HttpResponse:
    check = _check_or_404(check_code)
    organization = request.organization
    kind = entity_kind_get(check.entity_type)
    today = timezone.localdate()
    status = request.GET.get("status", CheckStatus.FAILING)
    if status not in dict(DRILL_DOWN_STATUSES):
        status = CheckStatus.FAILING
    results = selectors.check_result_list(
        organization=organization,
        check_code=check.code,
        status="" if status == "all" else status,
        today=today,
    )
    page = paginate(request, results)
    summary = selectors.check_summary_map(organization=organization).get(check.code)
    expired = selectors.expired_special_case_map(
        organization=organization,
        check_code=check.code,
        entity_ids=[result.entity_id for result in page.object_list],
        today=today,
    )
    rows = [
        {
            "result": result,
            "title": kind.title_of(result),
            "subtitle": kind.subtitle_of(result),
            "url": kind.detail_url(organization.slug, result.entity_id),
            "special_case_url": reverse(
                "checks:special_case_create", args=[organization.slug, check.code, result.entity_id]
            ),
            "expired_special_case": expired.get(result.entity_id),
        }
        for result in page.object_list
    ]
    return render(
        request,
        "checks/check_detail.html",
        {
            "check": check,
            "entity_heading": kind.label,
            "summary": summary,
            "status": status,
            "statuses": _tabs_with_counts(
                summary=summary,
                expired_count=selectors.expired_special_case_counts(
                    organization=organization, today=today
                ).get(check.code, 0),
            ),
            "page": page,
            "rows": rows,
            "history": selectors.check_summary_changes(
                organization=organization, check_code=check.code
            ),
            "querystring": f"status={status}",
        },
    )


def _result_in_org(request: HttpRequest, check: Check, entity_id: int) -> CheckResult:
    return get_in_org(
        CheckResult.objects.select_related("special_case"),
        organization=request.organization,
        check_code=check.code,
        entity_type=check.entity_type,
        entity_id=entity_id,
    )


def _entity_page(request: HttpRequest, check: Check, entity_id: int) -> str:
    """Where to go back to: the entity's own page, else the check's drill-down."""
    url = entity_kind_get(check.entity_type).detail_url(request.organization.slug, entity_id)
    return url or reverse("checks:check_detail", args=[request.organization.slug, check.code])


@org_view(Action.MANAGE_SPECIAL_CASES)
def special_case_create(request: HttpRequest, check_code: str, entity_id: int) -> HttpResponse:
    check = _check_or_404(check_code)
    result = _result_in_org(request, check, entity_id)
    back_url = _entity_page(request, check, entity_id)
    form = SpecialCaseForm(request.POST or None, request.FILES or None)
    can_mark = result.evaluated_status == CheckStatus.FAILING and not (
        result.special_case and result.special_case.current_state == SpecialCaseState.ACTIVE
    )
    if request.method == "POST" and can_mark and form.is_valid():
        try:
            services.special_case_create(
                organization=request.organization,
                check=check,
                entity_id=entity_id,
                reason=form.cleaned_data["reason"],
                expires_on=form.cleaned_data["expires_on"],
                evidence=form.cleaned_data["evidence"] or None,
                acting_user=request.user,
            )
        except services.ChecksError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Marked as a special case; it now counts as passing.")
            return redirect(back_url)
    return render(
        request,
        "checks/special_case_form.html",
        {
            "form": form,
            "check": check,
            "entity_title": entity_kind_get(check.entity_type).title_of(result),
            "back_url": back_url,
            "can_mark": can_mark,
        },
        status=400 if form.errors or (request.method == "POST" and not can_mark) else 200,
    )


@require_POST
@org_view(Action.MANAGE_SPECIAL_CASES)
def special_case_withdraw(request: HttpRequest, check_code: str, entity_id: int) -> HttpResponse:
    check = _check_or_404(check_code)
    special_case = get_in_org(
        SpecialCase.objects.open(),
        organization=request.organization,
        check_code=check.code,
        entity_type=check.entity_type,
        entity_id=entity_id,
    )
    try:
        services.special_case_withdraw(special_case=special_case, acting_user=request.user)
    except services.ChecksError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Special case withdrawn; the check's own result applies again.")
    return redirect(_entity_page(request, check, entity_id))


@org_view(Action.VIEW)
def special_case_evidence(
    request: HttpRequest, check_code: str, entity_id: int, special_case_id: int
) -> FileResponse:
    check = _check_or_404(check_code)
    special_case = get_in_org(
        SpecialCase.objects,
        organization=request.organization,
        pk=special_case_id,
        check_code=check.code,
        entity_id=entity_id,
    )
    return evidence_response(special_case.evidence, special_case.evidence_name)


@org_view(Action.EXPORT_EVIDENCE)
def evidence_export(request: HttpRequest) -> HttpResponse:
    """GET shows the form (filled from the query string, if any); the download is a POST, as it
    writes an audit event."""
    organization = request.organization
    today = timezone.localdate()
    if request.method == "POST":
        form = EvidenceExportForm(request.POST)
    else:
        form = EvidenceExportForm(
            initial={
                "start": request.GET.get("start") or today - timedelta(days=EVIDENCE_DEFAULT_DAYS),
                "end": request.GET.get("end") or today,
            }
        )
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        services.evidence_export_record(
            organization=organization, acting_user=request.user, start=start, end=end
        )
        return csv_streaming_response(
            rows=evidence_rows(
                organization=organization, checks=check_list(), start=start, end=end
            ),
            filename=f"evidence-{organization.slug}-{start.isoformat()}-{end.isoformat()}.csv",
        )
    return render(
        request,
        "checks/evidence_export.html",
        {"form": form, "max_days": EVIDENCE_MAX_DAYS},
        status=400 if form.errors else 200,
    )
