"""Integrations: connections to third-party accounts and what is synced from them."""

from django.db import models


class RequestBudgetWindow(models.Model):
    """How many PagerDuty requests one account has spent in one 60-second window.

    PagerDuty allows 960 requests per minute per app per account; every worker process on every
    machine counts against the same row, so the budget holds across the whole deployment.
    """

    account_key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    request_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account_key", "window_start"], name="unique_budget_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_key} @ {self.window_start:%H:%M}: {self.request_count}"
