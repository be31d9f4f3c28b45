from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self) -> None:
        from integrations.pagerduty.provider import PAGERDUTY
        from integrations.providers import register_provider

        register_provider(PAGERDUTY)

        from integrations.dashboard import connect_url, pagerduty_connected, sync_state_context
        from tenants.dashboard import register_dashboard_panel, register_setup_step

        register_dashboard_panel(
            "integrations_sync",
            order=20,
            template="integrations/dashboard_sync.html",
            context=sync_state_context,
        )
        register_setup_step(
            "connect_pagerduty",
            order=10,
            title="Connect PagerDuty",
            hint="Sprintolike reads incidents, users and licenses from your PagerDuty account.",
            done=pagerduty_connected,
            url=connect_url,
        )
