"""Error pages (a clear sentence and a way back, never a stack trace) and the admin sign-in."""

from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the database may be what failed.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


def admin_login(request: HttpRequest) -> HttpResponse:
    """Send the Django admin's sign-in to allauth's, whatever the method.

    The admin's own form checks the password alone: it would skip TOTP and allauth's login
    throttling. A POST is redirected too, never processed, so a password posted here signs
    nobody in. A signed-in user who is not staff gets a 403 rather than a redirect loop
    (allauth would send them straight back to the admin).
    """
    if request.user.is_authenticated and not request.user.is_staff:
        raise PermissionDenied("The Django admin is for Sprintolike staff only.")
    admin_index = reverse("admin:index")
    next_url = request.GET.get(REDIRECT_FIELD_NAME, "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = admin_index
    query = urlencode({REDIRECT_FIELD_NAME: next_url})
    return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
