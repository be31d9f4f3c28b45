from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenants.access import org_view
from tenants.permissions import Action


@org_view(Action.VIEW)
def service_list(request: HttpRequest) -> HttpResponse:
    return render(request, "section_pending.html", {"section": "Spend"})
