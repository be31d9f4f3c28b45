from django.urls import path

from checks import views

app_name = "checks"

urlpatterns = [
    path("incidents/", views.incident_list, name="incident_list"),
    path("access/", views.access_overview, name="access_overview"),
    path("monitoring/", views.monitoring, name="monitoring"),
]
