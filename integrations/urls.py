"""Org-scoped URLs of Settings > Integrations; mounted under /o/<org_slug>/."""

from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("settings/integrations/", views.integration_list, name="integration_list"),
    path("settings/integrations/pagerduty/", views.provider_detail, name="provider_detail"),
    path("settings/integrations/pagerduty/oauth/", views.oauth_start, name="oauth_start"),
    path("settings/integrations/pagerduty/api-key/", views.api_key_connect, name="api_key_connect"),
    path(
        "settings/integrations/connections/<int:connection_id>/",
        views.connection_detail,
        name="connection_detail",
    ),
    path(
        "settings/integrations/connections/<int:connection_id>/sync-status/",
        views.connection_sync_status,
        name="connection_sync_status",
    ),
    path(
        "settings/integrations/connections/<int:connection_id>/purposes/",
        views.connection_update_purposes,
        name="connection_update_purposes",
    ),
    path(
        "settings/integrations/connections/<int:connection_id>/sync/",
        views.connection_sync_now,
        name="connection_sync_now",
    ),
    path(
        "settings/integrations/connections/<int:connection_id>/revoke/",
        views.connection_revoke,
        name="connection_revoke",
    ),
]
