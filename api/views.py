"""Settings > API tokens (admins): list, create (the token is shown once), revoke."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api import selectors, services
from api.forms import ApiTokenForm
from api.models import ApiToken
from tenants.access import get_in_org, org_view
from tenants.permissions import Action


@never_cache
@org_view(Action.MANAGE_API_TOKENS)
def api_token_list(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(
                organization=organization,
                name=form.cleaned_data["name"],
                role=form.cleaned_data["role"],
                expires_days=form.cleaned_data["expires_days"],
                acting_user=request.user,
            )
        except services.ApiTokenError as error:
            form.add_error(None, str(error))
        else:
            # Shown once, in this response only (no redirect: the secret is in no URL or session).
            return render(
                request,
                "api/api_token_created.html",
                {
                    "token": created.token,
                    "secret": created.secret,
                    "api_root": request.build_absolute_uri(
                        reverse("api:tenants:staff_list", args=[organization.slug])
                    ).removesuffix("staff/"),
                },
                status=201,
            )
    return render(
        request,
        "api/api_token_list.html",
        {"tokens": selectors.api_token_list(organization=organization), "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
@org_view(Action.MANAGE_API_TOKENS)
def api_token_revoke(request: HttpRequest, api_token_id: int) -> HttpResponse:
    token = get_in_org(ApiToken.objects, organization=request.organization, pk=api_token_id)
    try:
        services.api_token_revoke(token=token, acting_user=request.user)
    except services.ApiTokenError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{token} revoked: requests with it are now refused.")
    return redirect("api_tokens:api_token_list", org_slug=request.organization.slug)
