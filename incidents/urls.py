"""Org-scoped URLs of incident management; mounted under /o/<org_slug>/ by the root URLconf."""

from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/settings/", views.incident_policy_edit, name="incident_policy_edit"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="incident_detail"),
    path(
        "incidents/<int:incident_id>/data-loss/",
        views.incident_data_loss_save,
        name="incident_data_loss_save",
    ),
    path(
        "disclosures/<int:disclosure_id>/evidence/",
        views.disclosure_evidence,
        name="disclosure_evidence",
    ),
]
