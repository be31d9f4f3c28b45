"""Django admin for platform staff: incident policies and data-loss reviews across tenants.
Staff may correct them; every edit is recorded in the organisation's audit log (who, what
changed) in the same transaction. Evidence files are listed by name, never linked."""

from django.contrib import admin

from incidents.models import (
    DataLossReview,
    Disclosure,
    IncidentPolicy,
    IncidentSource,
    PrioritySla,
)
from tenants.admin_audit import AuditedAdmin


@admin.register(IncidentPolicy)
class IncidentPolicyAdmin(AuditedAdmin):
    audit_action = "incident_policy"
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
class IncidentSourceAdmin(AuditedAdmin):
    audit_action = "incident_source"
    list_display = ["service", "organization", "created_at"]
    search_fields = ["service__name", "organization__name", "organization__slug"]
    list_select_related = ["service", "organization"]
    raw_id_fields = ["organization", "service"]


@admin.register(PrioritySla)
class PrioritySlaAdmin(AuditedAdmin):
    audit_action = "priority_sla"
    list_display = ["priority", "sla_hours", "organization"]
    search_fields = ["priority__name", "organization__name", "organization__slug"]
    list_select_related = ["priority", "organization"]
    raw_id_fields = ["organization", "priority"]


class DisclosureInline(admin.TabularInline):
    model = Disclosure
    extra = 0
    fields = ["stakeholder", "done", "disclosed_on", "evidence_name"]
    readonly_fields = ["evidence_name"]


@admin.register(DataLossReview)
class DataLossReviewAdmin(AuditedAdmin):
    """Corrections of a review (and its disclosures) are audited as
    `data_loss_review.admin_change`; reviews are recorded on the incident page, not added here."""

    audit_action = "data_loss_review"
    list_display = ["incident", "organization", "data_loss", "records_affected", "updated_at"]
    list_filter = ["data_loss"]
    search_fields = ["incident__title", "incident__external_id", "organization__slug"]
    list_select_related = ["incident", "organization"]
    raw_id_fields = ["updated_by"]
    readonly_fields = ["organization", "incident", "updated_at"]
    inlines = [DisclosureInline]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
