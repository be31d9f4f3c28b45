from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # drf-spectacular finds the Bearer token scheme through this extension; the audit log
        # learns how token events read.
        from api import audit, schema  # noqa: F401
