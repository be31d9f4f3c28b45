from django.apps import AppConfig


class ChecksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "checks"
    verbose_name = "Checks"

    def ready(self) -> None:
        from integrations.hooks import register_after_sync_task

        register_after_sync_task("checks.tasks.evaluate_organization_after_sync")
