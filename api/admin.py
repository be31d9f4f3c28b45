from django.contrib import admin

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "organization",
        "role",
        "last_four",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("role",)
    search_fields = ("name", "organization__slug", "last_four")
    readonly_fields = [field.name for field in ApiToken._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False  # created in the app or by `create_api_token`: the secret is shown once
