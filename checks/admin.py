"""Django admin for platform staff: look across tenants, fix data. Results are read-only (the
engine owns them); evidence files are listed by name, never linked."""

from django.contrib import admin

from checks.models import (
    CheckResult,
    CheckResultChange,
    CheckSummary,
    CheckSummaryChange,
    CheckTrendPoint,
    Disclosure,
    IncidentPolicy,
    IncidentReview,
    IncidentSource,
    PrioritySla,
    SpecialCase,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IncidentPolicy)
class IncidentPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "organization",
        "sources_narrowed",
        "sla_hours_high",
        "sla_hours_low",
        "report_email",
        "updated_at",
    ]
    list_filter = ["sources_narrowed"]
    search_fields = ["organization__name", "organization__slug", "report_email"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization", "updated_by"]


@admin.register(IncidentSource)
class IncidentSourceAdmin(admin.ModelAdmin):
    list_display = ["service", "organization", "created_at"]
    search_fields = ["service__name", "organization__name", "organization__slug"]
    list_select_related = ["service", "organization"]
    raw_id_fields = ["organization", "service"]


@admin.register(PrioritySla)
class PrioritySlaAdmin(admin.ModelAdmin):
    list_display = ["priority", "sla_hours", "organization"]
    search_fields = ["priority__name", "organization__name", "organization__slug"]
    list_select_related = ["priority", "organization"]
    raw_id_fields = ["organization", "priority"]


class DisclosureInline(admin.TabularInline):
    model = Disclosure
    extra = 0
    fields = ["stakeholder", "done", "disclosed_on", "evidence_name"]
    readonly_fields = ["evidence_name"]


@admin.register(IncidentReview)
class IncidentReviewAdmin(admin.ModelAdmin):
    list_display = ["incident", "organization", "data_loss", "records_affected", "updated_at"]
    list_filter = ["data_loss"]
    search_fields = ["incident__title", "incident__external_id", "organization__slug"]
    list_select_related = ["incident", "organization"]
    raw_id_fields = ["organization", "incident", "updated_by"]
    inlines = [DisclosureInline]


@admin.register(SpecialCase)
class SpecialCaseAdmin(admin.ModelAdmin):
    list_display = [
        "check_code",
        "entity_type",
        "entity_label",
        "organization",
        "created_by",
        "created_at",
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
    search_fields = ["entity_label", "entity_external_id", "entity_email", "organization__slug"]
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
