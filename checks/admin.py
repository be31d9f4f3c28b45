"""Django admin for platform staff: look across tenants, fix data. Results are read-only (the
engine owns them); evidence files are listed by name, never linked."""

from django.contrib import admin

from checks.models import (
    CheckResult,
    CheckResultChange,
    CheckSummary,
    CheckSummaryChange,
    CheckTrendPoint,
    SpecialCase,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SpecialCase)
class SpecialCaseAdmin(admin.ModelAdmin):
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
    raw_id_fields = ["organization", "created_by", "withdrawn_by"]
    exclude = ["evidence"]
    readonly_fields = ["evidence_name"]


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
