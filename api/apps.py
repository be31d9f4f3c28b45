from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        # drf-spectacular finds the Bearer token scheme through this extension.
        from api import schema  # noqa: F401
