"""Compliance pages. The incident and access pages fill in as their issues land."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.access import org_view
from tenants.permissions import Action


@org_view(Action.VIEW)
def incident_list(request: HttpRequest) -> HttpResponse:
    return render(request, "checks/section_pending.html", {"section": "Incidents"})


@org_view(Action.VIEW)
def access_overview(request: HttpRequest) -> HttpResponse:
    return render(request, "checks/section_pending.html", {"section": "Access"})


@org_view(Action.VIEW)
def monitoring(request: HttpRequest) -> HttpResponse:
    return render(request, "checks/section_pending.html", {"section": "Monitoring"})
