"""Django admin for staff: connections, sync runs and synced records across tenants.

Secrets (access_token, refresh_token, api_key) are never shown or editable here. Sync runs and
synced records are evidence the sync writes: read-only here (no add, change or delete). Synced-record
tables can hold hundreds of thousands of rows, so foreign keys use raw-id widgets and the
change lists skip the full-count query.
"""

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from integrations.models import (
    Connection,
    RemoteAccount,
    RemoteIncident,
    RemoteIncidentStatusChange,
    RemoteLicense,
    RemoteNotificationCount,
    RemotePriority,
    RemoteSeatCount,
    RemoteService,
    RequestBudgetWindow,
    SyncRun,
)
from tenants.admin_audit import ReadOnlyAdmin

SECRET_FIELDS = ("access_token", "refresh_token", "api_key")


@admin.register(RequestBudgetWindow)
class RequestBudgetWindowAdmin(admin.ModelAdmin):
    list_display = ["account_key", "window_start", "request_count"]
    search_fields = ["account_key"]


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    exclude = SECRET_FIELDS
    list_display = [
        "subdomain",
        "organization",
        "region",
        "auth_type",
        "status",
        "last_synced_at",
        "is_syncing",
        "last_error",
    ]
    list_filter = ["status", "auth_type", "region", "provider"]
    search_fields = ["subdomain", "account_id", "organization__name", "organization__slug"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization", "authorized_by", "revoked_by"]
    readonly_fields = [
        "granted_scopes",
        "access_token_expires_at",
        "connected_at",
        "revoked_at",
        "created_at",
        "updated_at",
        "last_sync_started_at",
        "last_synced_at",
        "incidents_synced_through",
        "log_entries_synced_through",
        "people_synced_at",
    ]

    @admin.display(boolean=True, description="Syncing")
    def is_syncing(self, connection: Connection) -> bool:
        return connection.is_syncing


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "organization",
        "connection",
        "status",
        "trigger",
        "full",
        "duration_seconds",
        "request_count",
        "short_error",
    ]
    list_filter = ["status", "trigger", "full", "started_at"]
    search_fields = [
        "organization__name",
        "organization__slug",
        "connection__subdomain",
        "error_message",
    ]
    list_select_related = ["organization", "connection"]
    raw_id_fields = ["organization", "connection"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "organization",
        "connection",
        "trigger",
        "full",
        "status",
        "started_at",
        "finished_at",
        "counts",
        "request_count",
        "requests_by_path",
        "notes",
        "error_message",
    ]

    @admin.display(description="Duration (s)", ordering="finished_at")
    def duration_seconds(self, run: SyncRun) -> str:
        return f"{run.duration.total_seconds():.1f}" if run.duration else "—"

    @admin.display(description="Error")
    def short_error(self, run: SyncRun) -> str:
        return run.error_message[:120]


class SyncedRecordAdmin(ReadOnlyAdmin):
    """Common settings for records synced from PagerDuty (large tables). Their `html_url`s
    are PagerDuty's https links: a URL without a scheme is read as https (Django 6.0's
    default)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_select_related = ["organization", "connection"]
    raw_id_fields = ["organization", "connection"]
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(RemoteService)
class RemoteServiceAdmin(SyncedRecordAdmin):
    list_display = ["name", "organization", "status", "email_addresses", "removed_at", "synced_at"]
    list_filter = ["status", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "external_id", "organization__slug"]


@admin.register(RemotePriority)
class RemotePriorityAdmin(SyncedRecordAdmin):
    list_display = ["name", "organization", "rank", "synced_at"]
    search_fields = ["name", "external_id", "organization__slug"]


@admin.register(RemoteLicense)
class RemoteLicenseAdmin(SyncedRecordAdmin):
    list_display = ["name", "organization", "role_group", "allocated_count", "available_count"]
    list_filter = ["role_group"]
    search_fields = ["name", "external_id", "organization__slug"]


@admin.register(RemoteAccount)
class RemoteAccountAdmin(SyncedRecordAdmin):
    list_display = [
        "name",
        "email",
        "organization",
        "role",
        "license",
        "invitation_pending",
        "last_sign_in_at",
        "removed_at",
    ]
    list_filter = ["role", "invitation_pending", ("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "email", "external_id", "organization__slug"]
    list_select_related = ["organization", "connection", "license"]
    raw_id_fields = ["organization", "connection", "license"]


@admin.register(RemoteIncident)
class RemoteIncidentAdmin(SyncedRecordAdmin):
    list_display = [
        "number",
        "title",
        "organization",
        "status",
        "urgency",
        "created_at_remote",
        "resolved_at",
        "data_loss_field",
    ]
    list_filter = ["status", "urgency", "custom_fields_pending", "data_loss_field"]
    search_fields = ["external_id", "title", "organization__slug"]
    list_select_related = ["organization", "connection"]
    raw_id_fields = ["organization", "connection", "priority", "service"]
    date_hierarchy = "created_at_remote"


@admin.register(RemoteIncidentStatusChange)
class RemoteIncidentStatusChangeAdmin(SyncedRecordAdmin):
    list_display = ["incident", "kind", "status", "at", "actor_name", "organization"]
    list_filter = ["kind", "status"]
    search_fields = ["external_id", "incident__external_id", "organization__slug"]
    list_select_related = ["organization", "connection", "incident"]
    raw_id_fields = ["organization", "connection", "incident"]


@admin.register(RemoteNotificationCount)
class RemoteNotificationCountAdmin(SyncedRecordAdmin):
    list_display = ["month", "notification_type", "count", "organization", "connection"]
    list_filter = ["notification_type"]
    search_fields = ["organization__slug"]
    list_select_related = ["organization", "connection"]
    raw_id_fields = ["organization", "connection"]


@admin.register(RemoteSeatCount)
class RemoteSeatCountAdmin(SyncedRecordAdmin):
    list_display = ["day", "tier_name", "seat_count", "organization", "connection"]
    search_fields = ["organization__slug", "tier_name"]
    list_select_related = ["organization", "connection"]
    raw_id_fields = ["organization", "connection"]
