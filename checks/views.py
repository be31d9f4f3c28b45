"""Compliance pages: Data Library > Incidents, the incident page, Monitoring and evidence.

Views stay thin: they read through `checks.selectors`, write through `checks.services`, and
look every object up inside the organisation (`get_in_org`), so a foreign id is a 404.
"""

import csv
import os
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from checks import selectors, services, tasks
from checks.forms import (
    DataLossForm,
    EvidenceExportForm,
    IncidentFilterForm,
    IncidentPolicyForm,
    SpecialCaseForm,
)
from checks.models import (
    CheckStatus,
    DataLossAnswer,
    Disclosure,
    EntityType,
    IncidentReview,
    SpecialCase,
    Stakeholder,
)
from checks.registry import CHECKS, check_get, checks_for_entity_type
from integrations.models import RemoteIncident
from sprintolike.pagination import paginate, querystring_without_page
from tenants.access import get_in_org, org_view
from tenants.permissions import Action

ENTITY_PAGES = {EntityType.INCIDENT: "checks:incident_detail"}
EVIDENCE_DEFAULT_DAYS = 90


def _connection_state(scope: selectors.IncidentScope, connections: list[Any]) -> str:
    """ "not_connected", "not_synced" or "synced": which empty state a page shows."""
    if not scope.is_connected:
        return "not_connected"
    if not any(connection.last_synced_at for connection in connections):
        return "not_synced"
    return "synced"


def _incident_connections(request: HttpRequest) -> tuple[selectors.IncidentScope, list[Any]]:
    connections = selectors.incident_connections(organization=request.organization)
    scope = selectors.incident_scope_get(organization=request.organization, connections=connections)
    return scope, connections


# --- Incidents ---------------------------------------------------------------------------------


@org_view(Action.VIEW)
def incident_list(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    scope, connections = _incident_connections(request)
    sources = list(selectors.source_service_list(organization=organization, scope=scope))
    priorities = list(selectors.remote_priority_list(organization=organization))
    form = IncidentFilterForm(request.GET or None, sources=sources, priorities=priorities)
    form.is_valid()  # a bad filter is said beside the filters; the valid ones still apply
    cleaned = getattr(form, "cleaned_data", {})
    filters = selectors.IncidentFilters(
        search=cleaned.get("q") or "",
        failing_only=bool(cleaned.get("failing")),
        severity=cleaned.get("severity") or "",
        status=cleaned.get("status") or "",
        source_id=cleaned.get("source"),
        data_loss=cleaned.get("data_loss") or "",
        created_from=cleaned.get("created_from"),
        created_to=cleaned.get("created_to"),
    )
    page = None
    rows: list[dict[str, Any]] = []
    incident_checks = checks_for_entity_type(EntityType.INCIDENT)
    if scope.is_connected:
        incidents = selectors.incident_list(organization=organization, scope=scope, filters=filters)
        page = paginate(request, incidents)
        results = selectors.check_results_for_entities(
            organization=organization,
            entity_type=EntityType.INCIDENT,
            entity_ids=[incident.pk for incident in page.object_list],
        )
        for incident in page.object_list:
            incident_results = results.get(incident.pk, {})
            rows.append(
                {
                    "incident": incident,
                    "severity": selectors.incident_severity_label(incident),
                    "data_loss": selectors.incident_data_loss_state(
                        incident,
                        scope.policy.data_loss_field_name,
                        getattr(incident, "review", None),
                    ),
                    "checks": [
                        (check, incident_results.get(check.code)) for check in incident_checks
                    ],
                    "worst": selectors.worst_status(
                        result.status for result in incident_results.values()
                    ),
                }
            )
    return render(
        request,
        "checks/incident_list.html",
        {
            "scope": scope,
            "connection_state": _connection_state(scope, connections),
            "source_count": len(sources),
            "priority_slas": [
                (priority, scope.priority_sla[priority.pk][0])
                for priority in priorities
                if priority.pk in scope.priority_sla
            ],
            "filters": form,
            "page": page,
            "rows": rows,
            "querystring": querystring_without_page(request),
        },
    )


@org_view(Action.MANAGE_INCIDENT_POLICY)
def incident_policy_edit(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    scope, connections = _incident_connections(request)
    services_queryset = selectors.remote_service_list(organization=organization)
    priorities = list(selectors.remote_priority_list(organization=organization))
    suggestions = selectors.report_email_suggestions(organization=organization)
    policy = scope.policy
    initial = {
        "source_mode": IncidentPolicyForm.SOURCE_SELECTED
        if policy.sources_narrowed
        else IncidentPolicyForm.SOURCE_ALL,
        "sources": sorted(scope.source_service_ids or []),
        "report_email": policy.report_email or (suggestions[0] if suggestions else ""),
        "sla_hours_high": policy.sla_hours_high,
        "sla_hours_low": policy.sla_hours_low,
        "data_loss_field_name": policy.data_loss_field_name,
        **{
            IncidentPolicyForm.priority_field_name(priority): scope.priority_sla[priority.pk][0]
            for priority in priorities
            if priority.pk in scope.priority_sla
        },
    }
    form = IncidentPolicyForm(
        request.POST or None,
        initial=initial,
        services=services_queryset,
        priorities=priorities,
        email_suggestions=suggestions,
    )
    if request.method == "POST" and form.is_valid():
        narrowed = form.cleaned_data["source_mode"] == IncidentPolicyForm.SOURCE_SELECTED
        try:
            services.incident_policy_update(
                organization=organization,
                acting_user=request.user,
                sources_narrowed=narrowed,
                source_service_ids=[service.pk for service in form.cleaned_data["sources"]],
                report_email=form.cleaned_data["report_email"],
                sla_hours_high=form.cleaned_data["sla_hours_high"],
                sla_hours_low=form.cleaned_data["sla_hours_low"],
                priority_sla_hours=form.priority_sla_hours(),
                data_loss_field_name=form.cleaned_data["data_loss_field_name"],
            )
        except services.ChecksError as error:
            form.add_error(None, str(error))
        else:
            tasks.organization_evaluation_enqueue(organization_id=organization.pk)
            messages.success(
                request,
                "Incident settings saved. The checks are being re-evaluated; Monitoring shows "
                "when they last were.",
            )
            return redirect("checks:incident_list", org_slug=organization.slug)
    return render(
        request,
        "checks/incident_policy_form.html",
        {
            "form": form,
            "connection_state": _connection_state(scope, connections),
            "has_services": bool(form.fields["sources"].queryset),
        },
        status=400 if form.errors else 200,
    )


def _data_loss_form_initial(review: IncidentReview | None) -> tuple[dict, dict[str, Disclosure]]:
    if review is None:
        return {"data_loss": DataLossAnswer.NOT_ANSWERED}, {}
    disclosures = {disclosure.stakeholder: disclosure for disclosure in review.disclosures.all()}
    initial: dict[str, Any] = {
        "data_loss": review.data_loss,
        "data_kinds": review.data_kinds,
        "other_data_description": review.other_data_description,
        "records_affected": review.records_affected,
        "stakeholders": review.stakeholders,
        "notes": review.notes,
    }
    for stakeholder, disclosure in disclosures.items():
        initial[f"{stakeholder}_done"] = disclosure.done
        initial[f"{stakeholder}_date"] = disclosure.disclosed_on
    return initial, disclosures


def _incident_page(
    request: HttpRequest,
    incident: RemoteIncident,
    *,
    form: DataLossForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = request.organization
    scope, _ = _incident_connections(request)
    review = selectors.incident_review_get(organization=organization, incident=incident)
    initial, disclosures = _data_loss_form_initial(review)
    if form is None:
        form = DataLossForm(initial=initial, disclosures=disclosures)
    in_scope = incident.connection_id in scope.connection_ids and (
        scope.source_service_ids is None or incident.service_id in scope.source_service_ids
    )
    results = selectors.check_results_for_entities(
        organization=organization, entity_type=EntityType.INCIDENT, entity_ids=[incident.pk]
    ).get(incident.pk, {})
    return render(
        request,
        "checks/incident_detail.html",
        {
            "incident": incident,
            "severity": selectors.incident_severity_label(incident),
            "in_scope": in_scope,
            "sla": selectors.incident_sla_state(incident=incident, scope=scope, now=timezone.now()),
            "status_history": selectors.incident_status_history(
                organization=organization, incident=incident
            ),
            "check_rows": [
                (check, results.get(check.code))
                for check in checks_for_entity_type(EntityType.INCIDENT)
            ],
            "data_loss": selectors.incident_data_loss_state(
                incident, scope.policy.data_loss_field_name, review
            ),
            "review": review,
            "disclosures": [
                disclosures[stakeholder]
                for stakeholder in (review.stakeholders if review else [])
                if stakeholder in disclosures
            ],
            "form": form,
            "special_cases": selectors.special_case_list_for_entity(
                organization=organization, entity_type=EntityType.INCIDENT, entity_id=incident.pk
            ),
            "result_changes": selectors.check_result_changes_for_entity(
                organization=organization, entity_type=EntityType.INCIDENT, entity_id=incident.pk
            ),
            "checks_by_code": {check.code: check for check in CHECKS},
        },
        status=status,
    )


def _incident_in_org(request: HttpRequest, incident_id: int) -> RemoteIncident:
    return get_in_org(
        RemoteIncident.objects.select_related("service", "priority"),
        organization=request.organization,
        pk=incident_id,
    )


@org_view(Action.VIEW)
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _incident_page(request, _incident_in_org(request, incident_id))


@require_POST
@org_view(Action.RECORD_DATA_LOSS)
def incident_data_loss_save(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = _incident_in_org(request, incident_id)
    review = selectors.incident_review_get(organization=request.organization, incident=incident)
    _, disclosures = _data_loss_form_initial(review)
    form = DataLossForm(request.POST, request.FILES, disclosures=disclosures)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_review_save(
                incident=incident,
                acting_user=request.user,
                data_loss=data["data_loss"],
                data_kinds=data["data_kinds"],
                other_data_description=data["other_data_description"],
                records_affected=data["records_affected"],
                stakeholders=data["stakeholders"],
                notes=data["notes"],
                disclosures={
                    stakeholder: services.DisclosureInput(
                        done=data[f"{stakeholder}_done"],
                        disclosed_on=data[f"{stakeholder}_date"],
                        evidence=data[f"{stakeholder}_evidence"] or None,
                        remove_evidence=data[f"{stakeholder}_remove_evidence"],
                    )
                    for stakeholder in Stakeholder.values
                },
            )
        except services.ChecksError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Data-loss details saved.")
            url = reverse("checks:incident_detail", args=[request.organization.slug, incident.pk])
            return redirect(f"{url}#data-loss")
    return _incident_page(request, incident, form=form, status=400)


# --- Special cases -----------------------------------------------------------------------------


@org_view(Action.MANAGE_SPECIAL_CASES)
def special_case_create(request: HttpRequest, incident_id: int) -> HttpResponse:
    organization = request.organization
    incident = _incident_in_org(request, incident_id)
    results = selectors.check_results_for_entities(
        organization=organization, entity_type=EntityType.INCIDENT, entity_ids=[incident.pk]
    ).get(incident.pk, {})
    choices = [
        (check.code, check.title)
        for check in checks_for_entity_type(EntityType.INCIDENT)
        if (result := results.get(check.code)) is not None
        and result.evaluated_status == CheckStatus.FAILING
        and result.special_case_id is None
    ]
    form = SpecialCaseForm(
        request.POST or None,
        request.FILES or None,
        check_choices=choices,
        initial={"check_code": request.GET.get("check", "")},
    )
    if request.method == "POST" and choices and form.is_valid():
        try:
            services.special_case_create(
                organization=organization,
                check=check_get(form.cleaned_data["check_code"]),
                entity_id=incident.pk,
                reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data["evidence"] or None,
                acting_user=request.user,
            )
        except services.ChecksError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Marked as a special case; it now counts as passing.")
            return redirect(
                "checks:incident_detail", org_slug=organization.slug, incident_id=incident.pk
            )
    return render(
        request,
        "checks/special_case_form.html",
        {"form": form, "incident": incident, "has_choices": bool(choices)},
        status=400 if form.errors or (request.method == "POST" and not choices) else 200,
    )


@require_POST
@org_view(Action.MANAGE_SPECIAL_CASES)
def special_case_withdraw(request: HttpRequest, special_case_id: int) -> HttpResponse:
    special_case = get_in_org(
        SpecialCase.objects.active(), organization=request.organization, pk=special_case_id
    )
    try:
        services.special_case_withdraw(special_case=special_case, acting_user=request.user)
    except services.ChecksError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Special case withdrawn; the check's own result applies again.")
    page = ENTITY_PAGES.get(special_case.entity_type)
    if page:
        return redirect(
            page, org_slug=request.organization.slug, incident_id=special_case.entity_id
        )
    return redirect(
        "checks:check_detail",
        org_slug=request.organization.slug,
        check_code=special_case.check_code,
    )


# --- Evidence files ----------------------------------------------------------------------------


def _evidence_response(file: FieldFile, name: str) -> FileResponse:
    """Always an attachment, never rendered inline, never cached by a shared proxy."""
    if not file:
        raise Http404("No evidence file.")
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404("The evidence file is missing.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=name or os.path.basename(file.name),
        content_type="application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@org_view(Action.VIEW)
def special_case_evidence(request: HttpRequest, special_case_id: int) -> FileResponse:
    special_case = get_in_org(
        SpecialCase.objects, organization=request.organization, pk=special_case_id
    )
    return _evidence_response(special_case.evidence, special_case.evidence_name)


@org_view(Action.VIEW)
def disclosure_evidence(request: HttpRequest, disclosure_id: int) -> FileResponse:
    disclosure = get_in_org(Disclosure.objects, organization=request.organization, pk=disclosure_id)
    return _evidence_response(disclosure.evidence, disclosure.evidence_name)


# --- Monitoring --------------------------------------------------------------------------------


def _trend_bars(points: list[Any]) -> list[dict[str, Any]]:
    bars = []
    for point in points:
        total = point.passing_count + point.due_count + point.failing_count
        bars.append(
            {
                "point": point,
                "failing_percent": round(100 * point.failing_count / total) if total else 0,
                "due_percent": round(100 * point.due_count / total) if total else 0,
            }
        )
    return bars


@org_view(Action.VIEW)
def monitoring(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    scope, connections = _incident_connections(request)
    summaries = selectors.check_summary_map(organization=organization)
    trends = selectors.check_trend_map(organization=organization, today=timezone.localdate())
    today = timezone.localdate()
    return render(
        request,
        "checks/monitoring.html",
        {
            "rows": [
                {
                    "check": check,
                    "summary": summaries.get(check.code),
                    "trend": _trend_bars(trends.get(check.code, [])),
                }
                for check in CHECKS
            ],
            "connection_state": _connection_state(scope, connections),
            "export_form": EvidenceExportForm(
                initial={"start": today - timedelta(days=EVIDENCE_DEFAULT_DAYS), "end": today}
            ),
        },
    )


DRILL_DOWN_STATUSES = [
    (CheckStatus.FAILING, "Failing"),
    (CheckStatus.DUE, "Due"),
    (CheckStatus.PASSING, "Passing"),
    ("special_case", "Special cases"),
    ("all", "All"),
]


@org_view(Action.VIEW)
def check_detail(request: HttpRequest, check_code: str) -> HttpResponse:
    check = check_get(check_code)
    if check is None:
        raise Http404("No such check.")
    organization = request.organization
    status = request.GET.get("status", CheckStatus.FAILING)
    if status not in dict(DRILL_DOWN_STATUSES):
        status = CheckStatus.FAILING
    results = selectors.check_result_list(
        organization=organization, check_code=check.code, status="" if status == "all" else status
    )
    page = paginate(request, results)
    entity_page = ENTITY_PAGES.get(check.entity_type)
    rows = [
        {
            "result": result,
            "url": reverse(entity_page, args=[organization.slug, result.entity_id])
            if entity_page
            else "",
            "special_case_url": reverse(
                "checks:special_case_create", args=[organization.slug, result.entity_id]
            )
            + f"?check={check.code}"
            if check.entity_type == EntityType.INCIDENT
            else "",
        }
        for result in page.object_list
    ]
    return render(
        request,
        "checks/check_detail.html",
        {
            "check": check,
            "entity_heading": EntityType(check.entity_type).label,
            "summary": selectors.check_summary_map(organization=organization).get(check.code),
            "status": status,
            "statuses": DRILL_DOWN_STATUSES,
            "page": page,
            "rows": rows,
            "history": selectors.check_summary_changes(
                organization=organization, check_code=check.code
            ),
            "querystring": f"status={status}",
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_safe(value: Any) -> Any:
    """Spreadsheet apps run cells starting with = + - @ as formulas; incident titles come from
    PagerDuty and could, so such text is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@org_view(Action.EXPORT_EVIDENCE)
def evidence_export(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    form = EvidenceExportForm(request.GET or None)
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        services.evidence_export_record(
            organization=organization, acting_user=request.user, start=start, end=end
        )
        writer = csv.writer(_Echo())
        rows = selectors.evidence_rows(
            organization=organization, checks=CHECKS, start=start, end=end
        )
        response = StreamingHttpResponse(
            (writer.writerow([_csv_safe(value) for value in row]) for row in rows),
            content_type="text/csv; charset=utf-8",
        )
        filename = f"evidence-{organization.slug}-{start.isoformat()}-{end.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response
    return render(
        request,
        "checks/evidence_export.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@org_view(Action.VIEW)
def access_overview(request: HttpRequest) -> HttpResponse:
    return render(request, "checks/section_pending.html", {"section": "Access"})
