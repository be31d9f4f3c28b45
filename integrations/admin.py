from django.contrib import admin

from integrations.models import RequestBudgetWindow


@admin.register(RequestBudgetWindow)
class RequestBudgetWindowAdmin(admin.ModelAdmin):
    list_display = ["account_key", "window_start", "request_count"]
    search_fields = ["account_key"]
