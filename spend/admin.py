"""Django admin for platform staff: spend services, tiers, rollups and insight findings."""

from django.contrib import admin

from spend.models import InsightFinding, SaasService, ServiceTier, SpendSettings, UsageMonth


class ServiceTierInline(admin.TabularInline):
    model = ServiceTier
    extra = 0
    exclude = ["organization"]


@admin.register(SaasService)
class SaasServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "catalog_key", "billing_cycle", "renewal_date"]
    list_filter = ["catalog_key", "billing_cycle"]
    search_fields = ["name", "organization__slug"]
    list_select_related = ["organization"]
    raw_id_fields = ["organization", "connection"]
    inlines = [ServiceTierInline]


@admin.register(SpendSettings)
class SpendSettingsAdmin(admin.ModelAdmin):
    list_display = ["organization", "currency"]
    raw_id_fields = ["organization"]


@admin.register(UsageMonth)
class UsageMonthAdmin(admin.ModelAdmin):
    list_display = ["service", "month", "incidents", "alerts", "billable_alerts", "peak_seats"]
    list_select_related = ["service"]
    raw_id_fields = ["organization", "service"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InsightFinding)
class InsightFindingAdmin(admin.ModelAdmin):
    list_display = ["code", "service", "account", "monthly_saving_cents", "realized_at"]
    list_filter = ["code"]
    list_select_related = ["service", "account"]
    raw_id_fields = ["organization", "service", "account"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
