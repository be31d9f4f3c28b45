"""Data Library > Incidents, the incident page with its data-loss review, and the incident
settings.

Views stay thin: they read through `incidents.selectors` (and the engine's results through
`checks.selectors`), write through `incidents.services`, and look every object up inside the
organisation (`get_in_org`), so a foreign id is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from checks import selectors as check_selectors
from checks import tasks as check_tasks
from checks.registry import check_list, checks_for_entity_type
from incidents import selectors, services
from incidents.checks import INCIDENT
from incidents.forms import (
    DataLossForm,
    IncidentFilterForm,
    IncidentPolicyForm,
    data_loss_form_initial,
    incident_filters_from,
)
from incidents.models import Disclosure, Stakeholder
from incidents.scope import IncidentScope, incident_browsable_connections, incident_scope_get
from integrations.models import Connection, RemoteIncident
from sprintolike.evidence import evidence_response
from sprintolike.keyset import keyset_paginate, querystring_without_cursor
from sprintolike.sorting import sorting_from_request
from tenants.access import get_in_org, org_view
from tenants.permissions import Action


def _scope(request: HttpRequest) -> tuple[IncidentScope, list[Connection]]:
    """The pages' scope: incidents of browsable connections, including those revoked with their
    data kept (the checks only evaluate `incident_connections`)."""
    connections = incident_browsable_connections(organization=request.organization)
    scope = incident_scope_get(
        organization=request.organization, connections=connections, browsable=True
    )
    return scope, connections


def _revoked(connections: list[Connection]) -> list[Connection]:
    """Browsable connections that were revoked with their data kept (shown in a banner)."""
    return [connection for connection in connections if connection.keeps_revoked_data]


# The incident list's sortable columns. Every order ends newest first, then by primary key, so
# keyset pages never repeat or skip a row; each has an index (see RemoteIncident.Meta).
INCIDENT_SORT_COLUMNS = {
    "reported": "created_at_remote",
    "number": "number",
    "severity": "urgency",
    "status": "status",
}


def _incident_order(key: str, descending: bool) -> list[tuple[str, bool]]:
    if key == "reported":
        return [("created_at_remote", descending)]
    return [(INCIDENT_SORT_COLUMNS[key], descending), ("created_at_remote", True)]


@org_view(Action.VIEW)
def incident_list(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    sorting = sorting_from_request(request, columns=INCIDENT_SORT_COLUMNS, default="-reported")
    scope, connections = _scope(request)
    sources = list(selectors.source_service_list(organization=organization, scope=scope))
    priorities = list(selectors.remote_priority_list(organization=organization))
    form = IncidentFilterForm(request.GET or None, sources=sources, priorities=priorities)
    filters = incident_filters_from(form)
    page = None
    rows = []
    if scope.is_connected:
        page = keyset_paginate(
            request,
            selectors.incident_list(organization=organization, scope=scope, filters=filters),
            field="created_at_remote",
            order=_incident_order(sorting.key, sorting.descending),
        )
        rows = selectors.incident_list_rows(
            organization=organization, scope=scope, incidents=page.object_list
        )
    return render(
        request,
        "incidents/incident_list.html",
        {
            "scope": scope,
            "connection_state": selectors.connection_state(scope=scope, connections=connections),
            "revoked_connections": _revoked(connections),
            "revoked_connection_ids": {connection.pk for connection in _revoked(connections)},
            "checks_evaluated": check_selectors.checks_evaluated(
                organization=organization,
                check_codes=[check.code for check in checks_for_entity_type(INCIDENT)],
            ),
            "backfill_days": settings.INCIDENT_BACKFILL_DAYS,
            "source_count": len(sources),
            "priority_slas": [
                (priority, scope.priority_sla[priority.pk][0])
                for priority in priorities
                if priority.pk in scope.priority_sla
            ],
            "filters": form,
            "page": page,
            "rows": rows,
            "querystring": querystring_without_cursor(request),
            "sorting": sorting,
            "filtered": any(
                value
                for name, value in request.GET.items()
                if name not in ("sort", "after", "before")
            ),
            "next_label": "Older" if sorting.value == "-reported" else "Next",
            "previous_label": "Newer" if sorting.value == "-reported" else "Previous",
        },
    )


@org_view(Action.MANAGE_INCIDENT_POLICY)
def incident_policy_edit(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    scope, connections = _scope(request)
    priorities = list(selectors.remote_priority_list(organization=organization))
    suggestions = selectors.report_email_suggestions(organization=organization)
    form = IncidentPolicyForm(
        request.POST or None,
        initial=IncidentPolicyForm.initial_for(
            scope=scope, priorities=priorities, email_suggestions=suggestions
        ),
        services=selectors.remote_service_list(organization=organization),
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
        except services.IncidentsError as error:
            form.add_error(None, str(error))
        else:
            check_tasks.organization_evaluation_enqueue(organization_id=organization.pk)
            messages.success(
                request,
                "Incident settings saved. The checks are being re-evaluated; Monitoring shows "
                "when they last were.",
            )
            return redirect("incidents:incident_list", org_slug=organization.slug)
    return render(
        request,
        "incidents/incident_policy_form.html",
        {
            "form": form,
            "connection_state": selectors.connection_state(scope=scope, connections=connections),
            "has_services": bool(form.fields["sources"].queryset),
        },
        status=400 if form.errors else 200,
    )


def _incident_page(
    request: HttpRequest,
    incident: RemoteIncident,
    *,
    form: DataLossForm | None = None,
    status: int = 200,
) -> HttpResponse:
    organization = request.organization
    scope, connections = _scope(request)
    revoked = [
        connection
        for connection in _revoked(connections)
        if connection.pk == incident.connection_id
    ]
    review = selectors.data_loss_review_get(organization=organization, incident=incident)
    disclosures = selectors.disclosures_by_stakeholder(review)
    if form is None:
        form = DataLossForm(initial=data_loss_form_initial(review), disclosures=disclosures)
    results = check_selectors.check_results_for_entities(
        organization=organization, entity_type=INCIDENT, entity_ids=[incident.pk]
    ).get(incident.pk, {})
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "severity": selectors.incident_severity_label(incident),
            "in_scope": scope.includes(incident) and not revoked,
            "revoked_connections": revoked,
            "sla": selectors.incident_sla_state(incident=incident, scope=scope, now=timezone.now()),
            "status_history": selectors.incident_status_history(
                organization=organization, incident=incident
            ),
            "check_rows": [
                (check, results.get(check.code)) for check in checks_for_entity_type(INCIDENT)
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
            "special_cases": check_selectors.special_case_list_for_entity(
                organization=organization, entity_type=INCIDENT, entity_id=incident.pk
            ),
            "result_changes": check_selectors.check_result_changes_for_entity(
                organization=organization, entity_type=INCIDENT, entity_id=incident.pk
            ),
            "checks_by_code": {check.code: check for check in check_list()},
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
    review = selectors.data_loss_review_get(organization=request.organization, incident=incident)
    form = DataLossForm(
        request.POST, request.FILES, disclosures=selectors.disclosures_by_stakeholder(review)
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.data_loss_review_save(
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
        except services.IncidentsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Data-loss details saved.")
            url = reverse(
                "incidents:incident_detail", args=[request.organization.slug, incident.pk]
            )
            return redirect(f"{url}#data-loss")
    return _incident_page(request, incident, form=form, status=400)


@org_view(Action.VIEW)
def disclosure_evidence(request: HttpRequest, disclosure_id: int) -> FileResponse:
    disclosure = get_in_org(Disclosure.objects, organization=request.organization, pk=disclosure_id)
    return evidence_response(disclosure.evidence, disclosure.evidence_name)
