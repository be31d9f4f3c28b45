"""Spend pages: the service list, the catalog, a service's tabs (Members, Usage, Insights) and
its settings. Views validate input, call a selector or service, and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from integrations.forms import RevokeForm
from integrations.providers import provider_get
from spend import rules, selectors, services
from spend.catalog import catalog_search
from spend.forms import ManualServiceForm, MemberFilterForm, ServiceSettingsForm
from spend.models import SaasService
from spend.overview import member_rows, service_rows, usage_page
from sprintolike.csv_stream import csv_streaming_response
from sprintolike.pagination import paginate, querystring_without_page
from tenants.access import get_in_org, org_view
from tenants.permissions import Action

INSIGHT_MEMBERS_SHOWN = 25
SERVICE_TABS = (("members", "Members"), ("usage", "Usage"), ("insights", "Insights"))


def _service(request: HttpRequest, service_id: int) -> SaasService:
    return get_in_org(
        SaasService.objects.select_related("connection", "organization"),
        organization=request.organization,
        pk=service_id,
    )


def _service_context(request: HttpRequest, service: SaasService, tab: str) -> dict[str, Any]:
    return {
        "service": service,
        "tab": tab,
        "tabs": SERVICE_TABS,
        "currency": selectors.spend_currency(organization=request.organization),
        "integrated": bool(service.is_pagerduty and service.connection_id),
    }


@org_view(Action.VIEW)
def service_list(request: HttpRequest) -> HttpResponse:
    currency = selectors.spend_currency(organization=request.organization)
    rows = service_rows(organization=request.organization, today=timezone.localdate())
    return render(
        request,
        "spend/service_list.html",
        {
            "rows": rows,
            "currency": currency,
            "total_cents": sum(row.monthly_spend_cents for row in rows),
        },
    )


@org_view(Action.MANAGE_SPEND)
def catalog(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or "").strip()[:100]
    added = set(
        SaasService.objects.filter(organization=request.organization)
        .exclude(catalog_key="")
        .values_list("catalog_key", flat=True)
    )
    return render(
        request,
        "spend/catalog.html",
        {"query": query, "entries": catalog_search(query), "added": added},
    )


@require_POST
@org_view(Action.MANAGE_SPEND)
def service_add_pagerduty(request: HttpRequest) -> HttpResponse:
    if request.POST.get("catalog_key") != services.PAGERDUTY_KEY:
        messages.error(request, "Choose a service from the catalog.")
        return redirect("spend:catalog", request.organization.slug)
    service = services.service_add_pagerduty(
        organization=request.organization, acting_user=request.user
    )
    if service.connection_id is None:
        messages.info(
            request, "PagerDuty is added. Connect your PagerDuty account to see its members."
        )
    else:
        messages.success(request, "PagerDuty is added. Check its prices per license tier.")
    return redirect("spend:service_settings", request.organization.slug, service.pk)


@org_view(Action.MANAGE_SPEND)
def service_add_manual(request: HttpRequest) -> HttpResponse:
    initial = {key: request.GET.get(key, "")[:200] for key in ("name", "vendor", "category")}
    form = ManualServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        service = services.service_add_manual(
            organization=request.organization,
            acting_user=request.user,
            name=data["name"],
            vendor=data["vendor"],
            category=data["category"],
            price_per_seat_cents=data["price"],
            seats=data["seats"],
        )
        messages.success(request, f"{service.name} is added.")
        return redirect("spend:service_list", request.organization.slug)
    return render(
        request,
        "spend/service_add_manual.html",
        {"form": form, "currency": selectors.spend_currency(organization=request.organization)},
        status=400 if form.errors else 200,
    )


@org_view(Action.MANAGE_SPEND)
def service_settings(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    currency = selectors.spend_currency(organization=request.organization)
    tiers = list(service.tiers.all())
    form = ServiceSettingsForm(
        request.POST or None, service=service, tiers=tiers, currency=currency
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.service_update_settings(
            service=service,
            acting_user=request.user,
            billing_cycle=data["billing_cycle"],
            renewal_date=data["renewal_date"],
            renewal_notice_days=data["renewal_notice_days"],
            notes=data["notes"],
            currency=data["currency"],
            tiers=form.tier_changes(),
        )
        if form.renewal_in_past:
            messages.warning(
                request, "Saved. The renewal date is in the past: set the next renewal date."
            )
        else:
            messages.success(request, "Saved.")
        return redirect("spend:service_settings", request.organization.slug, service.pk)
    context = _service_context(request, service, "settings")
    context.update(
        {
            "form": form,
            "provider": provider_get("pagerduty") if service.is_pagerduty else None,
        }
    )
    return render(
        request, "spend/service_settings.html", context, status=400 if form.errors else 200
    )


@require_POST
@org_view(Action.MANAGE_SPEND)
def service_integrate(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    if not service.is_pagerduty:
        messages.error(request, "Only PagerDuty integrates; this service is kept by hand.")
    elif services.service_integrate(service=service, acting_user=request.user):
        messages.success(request, "PagerDuty is integrated: members and usage come from it.")
    else:
        return redirect("integrations:provider_detail", request.organization.slug)
    return redirect("spend:service_settings", request.organization.slug, service.pk)


@org_view(Action.REVOKE_INTEGRATION)
def service_revoke(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    if service.connection is None:
        messages.error(request, "This service is not integrated: there is nothing to revoke.")
        return redirect("spend:service_settings", request.organization.slug, service.pk)
    provider = provider_get(service.connection.provider)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        connection = services.service_revoke(
            service=service,
            acting_user=request.user,
            purge=form.cleaned_data["data"] == RevokeForm.PURGE,
        )
        messages.success(
            request,
            f"Revoked {connection}. Sprintolike deleted its credentials and stopped syncing. "
            + provider.revoke_instructions,
        )
        return redirect("spend:service_settings", request.organization.slug, service.pk)
    return render(
        request,
        "spend/service_revoke.html",
        {"service": service, "connection": service.connection, "provider": provider, "form": form},
        status=400 if form.errors else 200,
    )


@org_view(Action.VIEW)
def service_members(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    tier_names = list(service.tiers.values_list("name", flat=True))
    filters = MemberFilterForm(request.GET or None, tier_names=tier_names)
    now = timezone.now()
    ordered = selectors.member_order(service=service, now=now, **filters.filters())
    page = paginate(request, ordered.values_list("pk", flat=True))
    page.object_list = selectors.member_page_accounts(
        service=service, pks=list(page.object_list), now=now
    )
    context = _service_context(request, service, "members")
    context.update(
        {
            "filters": filters,
            "page": page,
            "rows": list(member_rows(page.object_list, now=now)),
            "querystring": querystring_without_page(request),
            "sort_links": _sort_links(request, filters.filters()),
            "counts": selectors.member_counts(service=service, now=now),
            "inactive_days": selectors.inactive_days(),
        }
    )
    return render(request, "spend/service_members.html", context)


def _sort_links(request: HttpRequest, current: dict[str, Any]) -> dict[str, str]:
    links = {}
    for key in selectors.MEMBER_SORTS:
        query = request.GET.copy()
        query.pop("page", None)
        query["sort"] = key
        query["order"] = "desc" if current["sort"] == key and not current["descending"] else "asc"
        links[key] = query.urlencode()
    return links


@org_view(Action.EXPORT_EVIDENCE)
def service_members_csv(request: HttpRequest, service_id: int) -> StreamingHttpResponse:
    service = _service(request, service_id)
    tier_names = list(service.tiers.values_list("name", flat=True))
    filters = MemberFilterForm(request.GET or None, tier_names=tier_names)
    now = timezone.now()
    accounts = selectors.member_list(service=service, now=now, **filters.filters())

    def rows():
        yield [
            "email",
            "name",
            "role",
            "license_tier",
            "last_seen",
            "on_schedule",
            "on_escalation_policy",
            "invitation_pending",
            "status",
            "staff_member",
            "staff_status",
        ]
        for row in member_rows(accounts.iterator(chunk_size=1000), now=now):
            account = row.account
            yield [
                account.email,
                account.name,
                account.role_label,
                account.tier_name,
                account.last_sign_in_at.isoformat() if account.last_sign_in_at else "",
                _yes_no_unknown(account.on_schedule),
                _yes_no_unknown(account.on_escalation_policy),
                "yes" if account.invitation_pending else "no",
                row.status_text,
                account.staff_name or "",
                account.staff_status or "",
            ]

    return csv_streaming_response(rows=rows(), filename=f"{service.name.lower()}-members.csv")


def _yes_no_unknown(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


@org_view(Action.VIEW)
def service_usage(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    context = _service_context(request, service, "usage")
    context.update(usage_page(service=service))
    return render(request, "spend/service_usage.html", context)


@org_view(Action.VIEW)
def service_insights(request: HttpRequest, service_id: int) -> HttpResponse:
    service = _service(request, service_id)
    context = _service_context(request, service, "insights")
    now = timezone.now()
    result = selectors.service_insights(service=service, now=now)
    shown = {
        insight.code: insight.account_ids[:INSIGHT_MEMBERS_SHOWN] for insight in result.insights
    }
    accounts = selectors.accounts_by_pk(
        service=service, pks=sorted({pk for pks in shown.values() for pk in pks})
    )
    context.update(
        {
            "insights": [
                {
                    "insight": insight,
                    "accounts": [
                        (accounts[pk], insight.saving_by_account.get(pk, 0))
                        for pk in shown[insight.code]
                        if pk in accounts
                    ],
                    "more": max(0, len(insight.account_ids) - len(shown[insight.code])),
                }
                for insight in result.insights
            ],
            "total_potential_saving_cents": result.total_potential_saving_cents,
            "realized": selectors.realized_savings(service=service),
            "next_first": rules.first_of_next_month(now.date()),
            "inactive_days": selectors.inactive_days(),
        }
    )
    return render(request, "spend/service_insights.html", context)
