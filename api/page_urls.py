"""Settings > API tokens; mounted under /o/<org_slug>/ by the root URLconf."""

from django.urls import path

from api import views

app_name = "api_tokens"

urlpatterns = [
    path("settings/api-tokens/", views.api_token_list, name="api_token_list"),
    path(
        "settings/api-tokens/<int:api_token_id>/revoke/",
        views.api_token_revoke,
        name="api_token_revoke",
    ),
]
