from django.apps import AppConfig


class PagerDutyStandinConfig(AppConfig):
    """The local PagerDuty stand-in: installed only in development and tests (see settings)."""

    name = "pagerduty_standin"
    verbose_name = "PagerDuty stand-in (development)"
