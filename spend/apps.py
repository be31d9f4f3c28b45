from django.apps import AppConfig


class SpendConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "spend"

    def ready(self) -> None:
        from integrations.hooks import register_after_sync_task

        register_after_sync_task("spend.tasks.spend_refresh_after_sync")

        from spend.dashboard import pagerduty_priced, price_url, spend_headline_context
        from tenants.dashboard import register_dashboard_panel, register_setup_step

        register_dashboard_panel(
            "spend_headline",
            order=30,
            template="spend/dashboard_headline.html",
            context=spend_headline_context,
        )
        register_setup_step(
            "price_pagerduty",
            order=50,
            title="Price PagerDuty under Spend",
            hint="Add PagerDuty from the catalog and set each license tier's price per seat.",
            done=pagerduty_priced,
            url=price_url,
        )
