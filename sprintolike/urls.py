from django.contrib import admin
from django.urls import include, path

from integrations import views as integration_views
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
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("orgs/new/", tenant_views.org_create, name="org_create"),
    path(
        "integrations/pagerduty/callback/",
        integration_views.pagerduty_oauth_callback,
        name="pagerduty_oauth_callback",
    ),
    path("invitations/<str:token>/", tenant_views.invitation_accept, name="invitation_accept"),
    path("o/<slug:org_slug>/", include(org_patterns)),
]

handler403 = "sprintolike.views.permission_denied"
handler404 = "sprintolike.views.page_not_found"
handler500 = "sprintolike.views.server_error"
