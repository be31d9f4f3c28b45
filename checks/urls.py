"""Org-scoped URLs of the checks app; mounted under /o/<org_slug>/ by the root URLconf."""

from django.urls import path

from checks import views

app_name = "checks"

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
        "incidents/<int:incident_id>/special-cases/new/",
        views.special_case_create,
        name="special_case_create",
    ),
    path(
        "special-cases/<int:special_case_id>/withdraw/",
        views.special_case_withdraw,
        name="special_case_withdraw",
    ),
    path(
        "special-cases/<int:special_case_id>/evidence/",
        views.special_case_evidence,
        name="special_case_evidence",
    ),
    path(
        "disclosures/<int:disclosure_id>/evidence/",
        views.disclosure_evidence,
        name="disclosure_evidence",
    ),
    path("access/", views.access_overview, name="access_overview"),
    path("monitoring/", views.monitoring, name="monitoring"),
    path("monitoring/evidence/", views.evidence_export, name="evidence_export"),
    path("monitoring/<slug:check_code>/", views.check_detail, name="check_detail"),
]
