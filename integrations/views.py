"""Settings > Integrations: the catalog, connecting PagerDuty, a connection's page, revoking."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from integrations import services
from integrations.forms import ApiKeyConnectForm, OAuthConnectForm, PurposesForm, RevokeForm
from integrations.models import Connection, Purpose
from integrations.pagerduty import connect as pagerduty
from integrations.pagerduty.oauth import describe_authorization_error
from integrations.providers import provider_get, provider_list
from integrations.selectors import (
    connection_list,
    connection_missing_scopes,
    connection_sync_progress,
    organization_for_connecting,
    sync_run_list,
)
from tenants.access import get_in_org, org_view
from tenants.permissions import Action


@org_view(Action.VIEW)
def integration_list(request: HttpRequest) -> HttpResponse:
    connections = list(connection_list(organization=request.organization, include_revoked=True))
    tab = request.GET.get("tab") or ("connected" if connections else "available")
    return render(
        request,
        "integrations/integration_list.html",
        {"tab": tab, "providers": provider_list(), "connections": connections},
    )


def _provider_context(request: HttpRequest, **extra: object) -> dict[str, object]:
    provider = provider_get("pagerduty")
    return {
        "provider": provider,
        "oauth_configured": bool(settings.PAGERDUTY_CLIENT_ID),
        "api_key_form": ApiKeyConnectForm(
            acknowledgement=provider.access_management_acknowledgement
        ),
        "purposes_form": PurposesForm(),
        **extra,
    }


def _form_may_post_to_pagerduty(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The consent form posts to us and we redirect to PagerDuty's identity service; browsers
    apply the page's CSP ``form-action`` to that redirect, so this page allows that one origin
    (read per request: tests and the demo point it at the local stand-in)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response._csp_update = {"form-action": [settings.PAGERDUTY_IDENTITY_URL]}
        return response

    return wrapped


@_form_may_post_to_pagerduty
@org_view(Action.VIEW)
def provider_detail(request: HttpRequest) -> HttpResponse:
    """Step 1: what PagerDuty is used for, the permissions asked for, the setup steps.

    Step 2 (`?step=authorize`): confirm, acknowledge access management, and go to PagerDuty.
    """
    provider = provider_get("pagerduty")
    if request.GET.get("step") == "authorize" and request.can.manage_integrations:
        purposes_form = PurposesForm(request.GET)
        if purposes_form.is_valid():
            oauth_form = OAuthConnectForm(
                initial={"purposes": purposes_form.cleaned_data["purposes"]},
                acknowledgement=provider.access_management_acknowledgement,
            )
            return render(
                request,
                "integrations/provider_authorize.html",
                {
                    "provider": provider,
                    "form": oauth_form,
                    "purposes": purposes_form.cleaned_data["purposes"],
                    "asks_access_management": Purpose.ACCESS_MANAGEMENT
                    in purposes_form.cleaned_data["purposes"],
                },
            )
        return render(
            request,
            "integrations/provider_detail.html",
            _provider_context(request, purposes_form=purposes_form),
            status=400,
        )
    return render(request, "integrations/provider_detail.html", _provider_context(request))


def _callback_url(request: HttpRequest) -> str:
    configured = settings.PAGERDUTY_OAUTH_REDIRECT_URL
    return configured or request.build_absolute_uri(reverse("pagerduty_oauth_callback"))


@require_POST
@_form_may_post_to_pagerduty
@org_view(Action.MANAGE_INTEGRATIONS)
def oauth_start(request: HttpRequest) -> HttpResponse:
    provider = provider_get("pagerduty")
    form = OAuthConnectForm(
        request.POST, acknowledgement=provider.access_management_acknowledgement
    )
    if not form.is_valid():
        purposes = form.cleaned_data.get("purposes") or request.POST.getlist("purposes")
        return render(
            request,
            "integrations/provider_authorize.html",
            {
                "provider": provider,
                "form": form,
                "purposes": purposes,
                "asks_access_management": Purpose.ACCESS_MANAGEMENT in purposes,
            },
            status=400,
        )
    try:
        start = pagerduty.oauth_start(
            session=request.session,
            organization=request.organization,
            user=request.user,
            purposes=form.cleaned_data["purposes"],
            redirect_uri=_callback_url(request),
        )
    except pagerduty.ConnectError as error:
        messages.error(request, str(error))
        return redirect("integrations:provider_detail", org_slug=request.organization.slug)
    return redirect(start.authorize_url)


@login_required
def pagerduty_oauth_callback(request: HttpRequest) -> HttpResponse:
    """PagerDuty sends the browser back here with `code` and `state` (or `error`)."""
    try:
        pending, entry = pagerduty.oauth_pending(
            session=request.session, state=request.GET.get("state", ""), user=request.user
        )
    except pagerduty.ConnectError as error:
        messages.error(request, str(error))
        return redirect("home")
    organization = organization_for_connecting(
        user=request.user, organization_id=pending.organization_id
    )
    if organization is None:
        raise PermissionDenied("You may no longer connect integrations in this organisation.")
    provider_url = reverse("integrations:provider_detail", args=[organization.slug])
    if request.GET.get("error"):
        messages.error(
            request,
            describe_authorization_error(
                request.GET["error"], request.GET.get("error_description")
            ),
        )
        return redirect(provider_url)
    code = request.GET.get("code", "")
    if not code:
        messages.error(request, "PagerDuty did not send an authorization code. Try again.")
        return redirect(provider_url)
    try:
        connection = pagerduty.oauth_complete(
            organization=organization, entry=entry, code=code, acting_user=request.user
        )
    except pagerduty.ConnectError as error:
        messages.error(request, str(error))
        return redirect(provider_url)
    if connection.last_error:
        messages.warning(request, f"Connected {connection.subdomain}. {connection.last_error}")
    else:
        messages.success(request, f"Connected PagerDuty account {connection.subdomain}.")
    return redirect(
        reverse("integrations:integration_list", args=[organization.slug]) + "?tab=connected"
    )


@require_POST
@org_view(Action.MANAGE_INTEGRATIONS)
def api_key_connect(request: HttpRequest) -> HttpResponse:
    provider = provider_get("pagerduty")
    form = ApiKeyConnectForm(
        request.POST, acknowledgement=provider.access_management_acknowledgement
    )
    if form.is_valid():
        try:
            connection = pagerduty.connect_with_api_key(
                organization=request.organization,
                api_key=form.cleaned_data["api_key"],
                region=form.cleaned_data["region"],
                purposes=form.cleaned_data["purposes"],
                acting_user=request.user,
            )
        except pagerduty.ConnectError as error:
            form.add_error("api_key", str(error))
        else:
            messages.success(request, f"Connected PagerDuty account {connection.subdomain}.")
            return redirect(
                reverse("integrations:integration_list", args=[request.organization.slug])
                + "?tab=connected"
            )
    return render(
        request,
        "integrations/provider_detail.html",
        _provider_context(request, api_key_form=form),
        status=400,
    )


def _sync_status_context(connection: Connection) -> dict[str, object]:
    return {
        "connection": connection,
        "progress": connection_sync_progress(connection=connection, now=timezone.now()),
        "sync_runs": sync_run_list(connection=connection),
    }


@org_view(Action.VIEW)
def connection_detail(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_in_org(
        Connection.objects.select_related("authorized_by", "revoked_by"),
        organization=request.organization,
        pk=connection_id,
    )
    return render(
        request,
        "integrations/connection_detail.html",
        {
            **_sync_status_context(connection),
            "provider": provider_get(connection.provider),
            "purposes_form": PurposesForm(initial={"purposes": connection.purposes}),
            "missing_scopes": connection_missing_scopes(connection=connection),
        },
    )


@org_view(Action.VIEW)
def connection_sync_status(request: HttpRequest, connection_id: int) -> HttpResponse:
    """The sync progress and runs of a connection page, polled by htmx every 2 s while a sync
    is queued or running (the fragment stops the polling once it is done)."""
    connection = get_in_org(Connection.objects, organization=request.organization, pk=connection_id)
    return render(
        request,
        "integrations/includes/sync_status.html",
        {**_sync_status_context(connection), "out_of_band": True},
    )


@require_POST
@org_view(Action.MANAGE_INTEGRATIONS)
def connection_update_purposes(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_in_org(Connection.objects, organization=request.organization, pk=connection_id)
    form = PurposesForm(request.POST)
    if form.is_valid():
        services.connection_update_purposes(
            connection=connection, purposes=form.cleaned_data["purposes"], acting_user=request.user
        )
        messages.success(request, "Saved what PagerDuty is used for.")
    else:
        messages.error(request, "Choose at least one use for PagerDuty.")
    return redirect("integrations:connection_detail", request.organization.slug, connection.pk)


@require_POST
@org_view(Action.SYNC_INTEGRATIONS)
def connection_sync_now(request: HttpRequest, connection_id: int) -> HttpResponse:
    """Queue a sync now; says so when one is already running or the connection cannot sync."""
    connection = get_in_org(Connection.objects, organization=request.organization, pk=connection_id)
    try:
        services.connection_sync_request(connection=connection, acting_user=request.user)
    except services.SyncNotAllowed as refusal:
        report = messages.info if refusal.already_syncing else messages.error
        report(request, refusal.message)
    else:
        messages.success(
            request, "Sync queued. It starts within a minute; its progress shows below."
        )
    return redirect("integrations:connection_detail", request.organization.slug, connection.pk)


@org_view(Action.REVOKE_INTEGRATION)
def connection_revoke(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = get_in_org(Connection.objects, organization=request.organization, pk=connection_id)
    provider = provider_get(connection.provider)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.connection_revoke(
            connection=connection,
            acting_user=request.user,
            purge=form.cleaned_data["data"] == RevokeForm.PURGE,
        )
        messages.success(
            request,
            f"Revoked {connection}. Sprintolike deleted its credentials and stopped syncing. "
            + provider.revoke_instructions,
        )
        return redirect(
            reverse("integrations:integration_list", args=[request.organization.slug])
            + "?tab=connected"
        )
    return render(
        request,
        "integrations/connection_revoke.html",
        {"connection": connection, "provider": provider, "form": form},
        status=400 if form.errors else 200,
    )
