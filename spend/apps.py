from django.apps import AppConfig


class SpendConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "spend"

    def ready(self) -> None:
        from integrations.hooks import register_after_sync_task

        register_after_sync_task("spend.tasks.spend_refresh_after_sync")
