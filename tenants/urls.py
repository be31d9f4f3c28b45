"""Org-scoped URLs of the tenants app; mounted under /o/<org_slug>/ by the root URLconf."""

from django.urls import path

from tenants import views

app_name = "tenants"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("members/", views.member_list, name="member_list"),
    path("members/invite/", views.invitation_create, name="invitation_create"),
    path(
        "members/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        "members/<int:membership_id>/role/",
        views.membership_role_change,
        name="membership_role_change",
    ),
    path("members/<int:membership_id>/remove/", views.membership_remove, name="membership_remove"),
    path("org-roles/", views.org_role_list_view, name="org_role_list"),
    path("org-roles/<int:org_role_id>/edit/", views.org_role_edit, name="org_role_edit"),
    path("org-roles/<int:org_role_id>/delete/", views.org_role_delete, name="org_role_delete"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/import/", views.staff_import, name="staff_import"),
    path("staff/import/template.csv", views.staff_import_template, name="staff_import_template"),
    path("staff/<int:staff_id>/edit/", views.staff_edit, name="staff_edit"),
    path("staff/<int:staff_id>/offboard/", views.staff_offboard, name="staff_offboard"),
    path("audit-log/", views.audit_log, name="audit_log"),
    path("audit-log/export.csv", views.audit_log_export, name="audit_log_export"),
]
