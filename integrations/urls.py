from django.urls import path

from integrations import views

app_name = "integrations"

urlpatterns = [
    path("settings/integrations/", views.integration_list, name="integration_list"),
]
