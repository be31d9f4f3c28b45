"""Org-scoped URLs of the check engine; mounted under /o/<org_slug>/ by the root URLconf.

Special cases live under the check they are about: `monitoring/<check>/entities/<id>/...`.
"""

from django.urls import path

from checks import views

app_name = "checks"

entity = "monitoring/<slug:check_code>/entities/<int:entity_id>"

urlpatterns = [
    path("monitoring/", views.monitoring, name="monitoring"),
    path("monitoring/evidence/", views.evidence_export, name="evidence_export"),
    path("monitoring/<slug:check_code>/", views.check_detail, name="check_detail"),
    path(f"{entity}/special-case/", views.special_case_create, name="special_case_create"),
    path(
        f"{entity}/special-case/withdraw/",
        views.special_case_withdraw,
        name="special_case_withdraw",
    ),
    path(
        f"{entity}/special-cases/<int:special_case_id>/evidence/",
        views.special_case_evidence,
        name="special_case_evidence",
    ),
]
