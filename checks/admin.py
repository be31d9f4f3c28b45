"""Django admin for platform staff: look across tenants. Results, their history, summaries and
trends are read-only (the engine owns them, and they are evidence); a special case may be
corrected, with each edit in the organisation's audit log. Evidence files are listed by name,
never linked."""

from django.contrib import admin

from checks.models import (
    CheckResult,
    CheckResultChange,
    CheckSummary,
    CheckSummaryChange,
    CheckTrendPoint,
    SpecialCase,
)
from tenants.admin_audit import AuditedAdmin, ReadOnlyAdmin


@admin.register(SpecialCase)
class SpecialCaseAdmin(AuditedAdmin):
    """Staff may correct a special case (reason, expiry); each edit is in the audit log."""

    audit_action = "special_case"
    list_display = [
        "check_code",
        "entity_type",
        "entity_label",
        "organization",
        "created_by",
        "created_at",
        "expires_on",
        "withdrawn_at",
    ]
    list_filter = ["check_code", "entity_type"]
    search_fields = ["entity_label", "reason", "organization__slug"]
    list_select_related = ["organization", "created_by"]
    raw_id_fields = ["withdrawn_by"]
    exclude = ["evidence"]
    readonly_fields = [
        "organization",
        "check_code",
        "entity_type",
        "entity_id",
        "entity_label",
        "evidence_name",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # special cases are marked on the entity's page, with the app's rules


@admin.register(CheckSummary)
class CheckSummaryAdmin(ReadOnlyAdmin):
    list_display = [
        "check_code",
        "organization",
        "status",
        "passing_count",
        "due_count",
        "failing_count",
        "evaluated_at",
    ]
    list_filter = ["check_code", "status"]
    search_fields = ["organization__name", "organization__slug"]
    list_select_related = ["organization"]


@admin.register(CheckResult)
class CheckResultAdmin(ReadOnlyAdmin):
    list_display = [
        "check_code",
        "entity_type",
        "entity_label",
        "organization",
        "status",
        "deadline",
        "updated_at",
    ]
    list_filter = ["check_code", "status", "entity_type"]
    search_fields = ["entity_label", "entity_external_id", "organization__slug"]
    list_select_related = ["organization"]
    show_full_result_count = False


@admin.register(CheckResultChange)
class CheckResultChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "check_code", "entity_type", "entity_id", "from_status", "to_status"]
    list_filter = ["check_code", "to_status"]
    search_fields = ["organization__slug"]
    show_full_result_count = False


@admin.register(CheckSummaryChange)
class CheckSummaryChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "check_code", "organization", "from_status", "to_status"]
    list_filter = ["check_code", "to_status"]
    search_fields = ["organization__slug"]
    list_select_related = ["organization"]


@admin.register(CheckTrendPoint)
class CheckTrendPointAdmin(ReadOnlyAdmin):
    list_display = ["day", "check_code", "organization", "status", "failing_count"]
    list_filter = ["check_code"]
    search_fields = ["organization__slug"]
    list_select_related = ["organization"]
