from django.urls import path

from spend import views

app_name = "spend"

urlpatterns = [
    path("spend/", views.service_list, name="service_list"),
    path("spend/catalog/", views.catalog, name="catalog"),
    path("spend/add/pagerduty/", views.service_add_pagerduty, name="service_add_pagerduty"),
    path("spend/add/", views.service_add_manual, name="service_add_manual"),
    path("spend/<int:service_id>/", views.service_members, name="service_members"),
    path(
        "spend/<int:service_id>/members.csv",
        views.service_members_csv,
        name="service_members_csv",
    ),
    path("spend/<int:service_id>/usage/", views.service_usage, name="service_usage"),
    path("spend/<int:service_id>/insights/", views.service_insights, name="service_insights"),
    path("spend/<int:service_id>/settings/", views.service_settings, name="service_settings"),
    path("spend/<int:service_id>/integrate/", views.service_integrate, name="service_integrate"),
    path("spend/<int:service_id>/revoke/", views.service_revoke, name="service_revoke"),
]
