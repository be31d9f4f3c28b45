from django.urls import path

from access import review_views, views

app_name = "access"

system = "access/systems/<int:system_id>"

urlpatterns = [
    path("access/", views.overview, name="overview"),
    path("access/add/", views.system_add, name="system_add"),
    path("access/monitoring/", views.monitoring_configure, name="monitoring"),
    path(f"{system}/", views.system_summary, name="system_summary"),
    path(f"{system}/accounts/", views.system_accounts_tab, name="system_accounts"),
    path(f"{system}/accounts.csv", views.system_accounts_csv, name="system_accounts_csv"),
    path(f"{system}/offboarded/", views.system_offboarded, name="system_offboarded"),
    path(f"{system}/offboarded.csv", views.system_offboarded_csv, name="system_offboarded_csv"),
    path(f"{system}/reviews/", review_views.system_reviews, name="system_reviews"),
    path(f"{system}/settings/", views.system_settings, name="system_settings"),
    path(f"{system}/configure/", views.system_configure, name="system_configure"),
    path(f"{system}/import/", views.system_import, name="system_import"),
    path(f"{system}/delete/", views.system_delete, name="system_delete"),
    path(
        f"{system}/manual-accounts/<int:manual_account_id>/",
        views.manual_account_detail,
        name="manual_account_detail",
    ),
    path(
        "access/manual-accounts/<int:manual_account_id>/",
        views.system_account_detail,
        name="system_account_detail",
    ),
    path("access/accounts/<int:account_id>/", views.account_detail, name="account_detail"),
    path("access/staff/<int:staff_id>/", views.staff_detail, name="staff_detail"),
    path("access/reviews/<int:review_id>/", review_views.review_detail, name="review_detail"),
    path(
        "access/reviews/<int:review_id>/items/<int:item_id>/decide/",
        review_views.review_item_decide,
        name="review_item_decide",
    ),
    path(
        "access/reviews/<int:review_id>/evidence/",
        review_views.review_evidence,
        name="review_evidence",
    ),
]
