from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self) -> None:
        from integrations.pagerduty.provider import PAGERDUTY
        from integrations.providers import register_provider

        register_provider(PAGERDUTY)
