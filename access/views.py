"""Access pages: critical systems and their tabs, valid access, identities of accounts.

Views validate input, call a selector or a service, and render; access reviews have their own
module (`access.review_views`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from access import selectors, services
from access.accounts import account_key_of, pagerduty_accounts, system_accounts
from access.checks import ACCOUNT, STAFF, SYSTEM_ACCOUNT, pagerduty_system_lookup
from access.forms import (
    AccountFilterForm,
    ManualAccountImportForm,
    MapAccountForm,
    NotStaffForm,
    SystemAddForm,
    SystemSettingsForm,
    ValidAccessForm,
)
from access.models import CriticalSystem, ManualAccount, SystemKind
from access.rules import Identification
from checks import selectors as check_selectors
from checks.registry import check_list, checks_for_entity_type
from integrations.models import RemoteAccountChange
from integrations.pagerduty.roles import role_label
from sprintolike.csv_stream import csv_streaming_response
from sprintolike.pagination import paginate, querystring_without_page
from tenants.access import get_in_org, org_view
from tenants.models import StaffMember
from tenants.permissions import Action

TABS = (
    ("summary", "Summary", "access:system_summary"),
    ("accounts", "Staff access", "access:system_accounts"),
    ("offboarded", "Offboarded staff", "access:system_offboarded"),
    ("reviews", "Access reviews", "access:system_reviews"),
)


def system_in_org(request: HttpRequest, system_id: int) -> CriticalSystem:
    return get_in_org(
        CriticalSystem.objects.select_related("owner", "review_delegate"),
        organization=request.organization,
        pk=system_id,
    )


def tab_context(request: HttpRequest, system: CriticalSystem, current: str, **extra: Any) -> dict:
    return {
        "system": system,
        "tabs": [
            (code, label, reverse(name, args=[request.organization.slug, system.pk]))
            for code, label, name in TABS
        ],
        "current_tab": current,
        **extra,
    }


@org_view(Action.VIEW)
def overview(request: HttpRequest) -> HttpResponse:
    systems = list(selectors.critical_system_list(organization=request.organization))
    return render(request, "access/overview.html", {"systems": systems})


@org_view(Action.MANAGE_ACCESS_RULES)
def system_add(request: HttpRequest) -> HttpResponse:
    form = SystemAddForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            system = services.critical_system_create(
                organization=request.organization,
                kind=data["kind"],
                name=data["name"],
                description=data["description"],
                owner=data["owner"],
                acting_user=request.user,
            )
        except services.AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{system.name} added to the critical systems.")
            return redirect("access:system_summary", request.organization.slug, system.pk)
    return render(
        request, "access/system_add.html", {"form": form}, status=400 if form.errors else 200
    )


@org_view(Action.VIEW)
def system_summary(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    context = tab_context(
        request,
        system,
        "summary",
        summary=selectors.system_summary(system=system),
        checks=selectors.system_checks(system=system),
        allowances=system.allowances.select_related("org_role"),
    )
    return render(request, "access/system_summary.html", context)


def _account_filters(request: HttpRequest, system: CriticalSystem) -> AccountFilterForm:
    form = AccountFilterForm(
        request.GET or None,
        organization=request.organization,
        licenses=selectors.license_choices(system),
    )
    form.is_valid()
    return form


@org_view(Action.VIEW)
def system_accounts_tab(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    filters = _account_filters(request, system)
    accounts = selectors.staff_access_accounts(
        system=system, filters=filters.cleaned_data if filters.is_bound else {}
    )
    page = paginate(request, accounts)
    context = tab_context(
        request,
        system,
        "accounts",
        filters=filters,
        page=page,
        rows=selectors.account_rows(
            system=system,
            accounts=selectors.staff_access_page(system=system, account_ids=page.object_list),
        ),
        querystring=querystring_without_page(request),
        sort=request.GET.get("sort", "name"),
    )
    if system.is_pagerduty and not page.object_list and not request.GET:
        context["empty_title"], context["empty_hint"] = selectors.pagerduty_accounts_empty_reason(
            organization=request.organization
        )
    return render(request, "access/system_accounts.html", context)


@org_view(Action.EXPORT_EVIDENCE)
def system_accounts_csv(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    filters = _account_filters(request, system)
    accounts = selectors.staff_access_accounts(
        system=system, filters=filters.cleaned_data if filters.is_bound else {}
    )
    policy = selectors.access_policy(system)
    header = [
        "account",
        "name",
        "email",
        "identification",
        "staff_member",
        "staff_status",
        "org_role",
        "role",
        "license",
        "last_sign_in_at",
        "on_call",
        "valid_access",
        "check_status",
    ]

    def rows():
        yield header
        pagerduty = system.is_pagerduty
        for account in accounts.rows():
            verdict = policy.verdict(account, system)
            on_call = (
                None
                if account.on_schedule is None and account.on_escalation_policy is None
                else bool(account.on_schedule or account.on_escalation_policy)
            )
            yield [
                account.account_key,
                account.name,
                account.email,
                Identification(account.identification).label,
                account.staff_name or "",
                account.staff_status or "",
                account.staff_org_role_name or "",
                role_label(account.role) if pagerduty else account.role,
                (account.license_name or "") if pagerduty else "",
                account.last_sign_in_at.isoformat()
                if pagerduty and account.last_sign_in_at
                else "",
                {True: "yes", False: "no", None: ""}[on_call] if pagerduty else "",
                verdict.detail if verdict else "",
                account.check_status,
            ]

    return csv_streaming_response(
        rows=rows(), filename=f"staff-access-{system.pk}-{timezone.now():%Y-%m-%d}.csv"
    )


@org_view(Action.VIEW)
def system_offboarded(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    page = paginate(request, selectors.offboarded_staff(organization=request.organization))
    rows = selectors.offboarded_rows(
        system=system, staff_members=list(page.object_list), now=timezone.now()
    )
    context = tab_context(
        request,
        system,
        "offboarded",
        page=page,
        rows=rows,
        querystring=querystring_without_page(request),
    )
    return render(request, "access/system_offboarded.html", context)


@org_view(Action.EXPORT_EVIDENCE)
def system_offboarded_csv(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    now = timezone.now()
    staff = list(selectors.offboarded_staff(organization=request.organization))

    def rows():
        yield [
            "staff_member",
            "email",
            "last_working_day",
            "deprovisioning",
            "live_accounts",
            "time_to_revoke",
            "days_overdue",
        ]
        for start in range(0, len(staff), 500):
            for row in selectors.offboarded_rows(
                system=system, staff_members=staff[start : start + 500], now=now
            ):
                member = row.staff_member
                yield [
                    member.name,
                    member.email,
                    member.last_working_day.isoformat() if member.last_working_day else "",
                    row.deprovisioning,
                    len(row.live_accounts),
                    row.time_to_revoke,
                    "" if row.days_overdue is None else row.days_overdue,
                ]

    return csv_streaming_response(
        rows=rows(), filename=f"offboarded-staff-{system.pk}-{now:%Y-%m-%d}.csv"
    )


@org_view(Action.MANAGE_ACCESS_RULES)
def system_settings(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    form = SystemSettingsForm(
        request.POST or None,
        organization=request.organization,
        initial={
            "description": system.description,
            "owner": system.owner,
            "review_delegate": system.review_delegate,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.critical_system_update(
            system=system, acting_user=request.user, **form.cleaned_data
        )
        messages.success(request, f"{system.name} saved.")
        return redirect("access:system_summary", request.organization.slug, system.pk)
    return render(
        request,
        "access/system_settings.html",
        tab_context(request, system, "", form=form),
        status=400 if form.errors else 200,
    )


@org_view(Action.MANAGE_ACCESS_RULES)
def system_configure(request: HttpRequest, system_id: int) -> HttpResponse:
    """Manage > Access monitoring > Configure: the valid access type and its limits."""
    system = system_in_org(request, system_id)
    allowances = dict(system.allowances.values_list("org_role_id", "max_role"))
    form = ValidAccessForm(
        request.POST or None,
        system=system,
        allowances=allowances,
        initial={
            "mode": system.valid_access_mode,
            "grace_days": system.grace_days,
            "review_period_months": system.review_period_months,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.valid_access_configure(
                system=system,
                mode=data["mode"],
                allowances=data["allowances"],
                grace_days=data["grace_days"],
                review_period_months=data["review_period_months"],
                acting_user=request.user,
            )
        except services.AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, f"Valid access of {system.name} saved; the checks are evaluated again."
            )
            return redirect("access:system_summary", request.organization.slug, system.pk)
    return render(
        request,
        "access/system_configure.html",
        tab_context(request, system, "", form=form),
        status=400 if form.errors else 200,
    )


@org_view(Action.VIEW)
def monitoring_configure(request: HttpRequest) -> HttpResponse:
    """Manage > Access monitoring: PagerDuty's valid access, or the way to add PagerDuty."""
    system = CriticalSystem.objects.filter(
        organization=request.organization, kind=SystemKind.PAGERDUTY
    ).first()
    if system is not None and request.can.manage_access_rules:
        return redirect("access:system_configure", request.organization.slug, system.pk)
    return render(
        request,
        "access/monitoring.html",
        {
            "system": system,
            "systems": selectors.critical_system_list(organization=request.organization),
        },
    )


@org_view(Action.MANAGE_ACCESS_RULES)
def system_import(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    if system.is_pagerduty:
        raise Http404("PagerDuty's accounts come from the sync.")
    form = ManualAccountImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = services.manual_accounts_import(
            system=system, content=form.cleaned_data["file"].read(), acting_user=request.user
        )
        if result.ok:
            messages.success(
                request, f"{result.imported} accounts imported ({result.removed} removed)."
            )
            return redirect("access:system_accounts", request.organization.slug, system.pk)
    status = 400 if form.errors or (result and not result.ok) else 200
    return render(
        request,
        "access/system_import.html",
        tab_context(request, system, "", form=form, result=result),
        status=status,
    )


# --- Accounts and their identity ---------------------------------------------------------------


def _identity_page(
    request: HttpRequest, system: CriticalSystem, account: Any, *, status: int = 200, **forms: Any
) -> HttpResponse:
    organization = request.organization
    is_pagerduty = system.is_pagerduty
    entity_type = ACCOUNT if is_pagerduty else SYSTEM_ACCOUNT
    results = check_selectors.check_results_for_entities(
        organization=organization, entity_type=entity_type, entity_ids=[account.pk]
    ).get(account.pk, {})
    context = tab_context(
        request,
        system,
        "accounts",
        account=account,
        row=selectors.account_rows(system=system, accounts=[account])[0],
        map_form=forms.get("map_form")
        or MapAccountForm(organization=organization, initial={"staff_member": account.staff_id}),
        not_staff_form=forms.get("not_staff_form") or NotStaffForm(),
        action_url=request.path,
        history=RemoteAccountChange.objects.filter(account_id=account.pk).order_by("at", "pk")
        if is_pagerduty
        else [],
        check_rows=[
            (check, results.get(check.code)) for check in checks_for_entity_type(entity_type)
        ],
        special_cases=check_selectors.special_case_list_for_entity(
            organization=organization, entity_type=entity_type, entity_id=account.pk
        ),
        result_changes=check_selectors.check_result_changes_for_entity(
            organization=organization, entity_type=entity_type, entity_id=account.pk
        ),
        checks_by_code={check.code: check for check in check_list()},
    )
    return render(request, "access/account_detail.html", context, status=status)


def _identity_post(request: HttpRequest, system: CriticalSystem, account: Any) -> HttpResponse:
    key = account_key_of(account)
    action = request.POST.get("action")
    if not request.can.map_accounts:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Your role in this organisation does not allow this.")
    if action == "map":
        if request.POST.get("staff_member", "").isdigit():
            # Another organisation's staff member is as unknown as a missing one: 404.
            get_in_org(
                StaffMember.objects,
                organization=request.organization,
                pk=request.POST["staff_member"],
            )
        form = MapAccountForm(request.POST, organization=request.organization)
        if not form.is_valid():
            return _identity_page(request, system, account, status=400, map_form=form)
        services.account_map(
            system=system,
            account_key=key,
            staff_member=form.cleaned_data["staff_member"],
            acting_user=request.user,
        )
        messages.success(
            request, f"{account.email} mapped to {form.cleaned_data['staff_member'].name}."
        )
    elif action == "not_staff":
        form = NotStaffForm(request.POST)
        if not form.is_valid():
            return _identity_page(request, system, account, status=400, not_staff_form=form)
        services.account_mark_not_staff(
            system=system, account_key=key, acting_user=request.user, **form.cleaned_data
        )
        messages.success(request, f"{account.email} marked as not a staff account.")
    elif action == "undo":
        services.account_identity_undo(system=system, account_key=key, acting_user=request.user)
        messages.success(request, f"The decision by hand about {account.email} was undone.")
    else:
        return _identity_page(request, system, account, status=400)
    return redirect(request.path)


def _pagerduty_account(request: HttpRequest, account_id: int) -> tuple[CriticalSystem, Any]:
    system = pagerduty_system_lookup(request.organization)
    if system is None:
        raise Http404("PagerDuty is not a critical system.")
    return system, get_in_org(
        pagerduty_accounts(system=system).select_related("license"),
        organization=request.organization,
        pk=account_id,
    )


@org_view(Action.VIEW)
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    """A PagerDuty account: facts, identity (map / not a staff account / undo), history, checks."""
    system, account = _pagerduty_account(request, account_id)
    if request.method == "POST":
        return _identity_post(request, system, account)
    return _identity_page(request, system, account)


@org_view(Action.VIEW)
def manual_account_detail(
    request: HttpRequest, system_id: int, manual_account_id: int
) -> HttpResponse:
    system = system_in_org(request, system_id)
    account = (
        get_in_org(
            system_accounts(system=system), organization=request.organization, pk=manual_account_id
        )
        if not system.is_pagerduty
        else None
    )
    if account is None:
        raise Http404("Not found.")
    if request.method == "POST":
        return _identity_post(request, system, account)
    return _identity_page(request, system, account)


@org_view(Action.VIEW)
def system_account_detail(request: HttpRequest, manual_account_id: int) -> HttpResponse:
    """The page of an account of a system kept by hand, by its id alone (Monitoring's links)."""
    account = get_in_org(
        ManualAccount.objects, organization=request.organization, pk=manual_account_id
    )
    return redirect(
        "access:manual_account_detail", request.organization.slug, account.system_id, account.pk
    )


@org_view(Action.VIEW)
def staff_detail(request: HttpRequest, staff_id: int) -> HttpResponse:
    """A staff member's access in one place: their accounts in every critical system
    (PagerDuty and the systems kept by hand) and the offboarding check."""
    member = get_in_org(
        StaffMember.objects.select_related("org_role"),
        organization=request.organization,
        pk=staff_id,
    )
    access = selectors.staff_access(organization=request.organization, staff_member=member)
    results = check_selectors.check_results_for_entities(
        organization=request.organization, entity_type=STAFF, entity_ids=[member.pk]
    ).get(member.pk, {})
    return render(
        request,
        "access/staff_detail.html",
        {
            "member": member,
            "access": access,
            "check_rows": [
                (check, results.get(check.code)) for check in checks_for_entity_type(STAFF)
            ],
            "special_cases": check_selectors.special_case_list_for_entity(
                organization=request.organization, entity_type=STAFF, entity_id=member.pk
            ),
            "result_changes": check_selectors.check_result_changes_for_entity(
                organization=request.organization, entity_type=STAFF, entity_id=member.pk
            ),
            "checks_by_code": {check.code: check for check in check_list()},
        },
    )


@require_POST
@org_view(Action.MANAGE_ACCESS_RULES)
def system_delete(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_in_org(request, system_id)
    services.critical_system_delete(system=system, acting_user=request.user)
    messages.success(request, f"{system.name} is no longer a critical system.")
    return redirect("access:overview", request.organization.slug)
