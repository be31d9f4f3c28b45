from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from integrations import views as integration_views
from sprintolike import views as site_views
from tenants import views as tenant_views

org_patterns = [
    path("", include("tenants.urls")),
    path("", include("integrations.urls")),
    path("", include("checks.urls")),
    path("", include("incidents.urls")),
    path("", include("access.urls")),
    path("", include("spend.urls")),
]

urlpatterns = [
    path("", tenant_views.home, name="home"),
    # Browsers and crawlers ask for /favicon.ico whatever the page says: no 404 in the logs.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    # Before admin.site.urls: the admin signs in through allauth (TOTP, throttling).
    path("admin/login/", site_views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("orgs/new/", tenant_views.org_create, name="org_create"),
    path(
        "integrations/pagerduty/callback/",
        integration_views.pagerduty_oauth_callback,
        name="pagerduty_oauth_callback",
    ),
    path(
        "invitations/<int:invitation_id>/accept/",
        tenant_views.invitation_accept_signed_in,
        name="invitation_accept_signed_in",
    ),
    path("invitations/<str:token>/", tenant_views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org_slug>/", include(org_patterns)),
]

handler403 = "sprintolike.views.permission_denied"
handler404 = "sprintolike.views.page_not_found"
handler500 = "sprintolike.views.server_error"
