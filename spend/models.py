"""Spend: the org's SaaS services, their license tiers and prices, monthly usage rollups and
the insights that named a seat (for realized savings). Money is integer cents (minor units)
in the organisation's currency."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Currency(models.TextChoices):
    USD = "USD", "US dollar (USD)"
    EUR = "EUR", "Euro (EUR)"
    GBP = "GBP", "Pound sterling (GBP)"
    CAD = "CAD", "Canadian dollar (CAD)"
    AUD = "AUD", "Australian dollar (AUD)"
    NZD = "NZD", "New Zealand dollar (NZD)"
    CHF = "CHF", "Swiss franc (CHF)"
    SEK = "SEK", "Swedish krona (SEK)"
    NOK = "NOK", "Norwegian krone (NOK)"
    DKK = "DKK", "Danish krone (DKK)"
    INR = "INR", "Indian rupee (INR)"
    SGD = "SGD", "Singapore dollar (SGD)"
    BRL = "BRL", "Brazilian real (BRL)"


class BillingCycle(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    ANNUAL = "annual", "Annual"


DEFAULT_RENEWAL_NOTICE_DAYS = 60


class SpendSettings(models.Model):
    """Spend preferences of one organisation (its currency)."""

    organization = models.OneToOneField(
        "tenants.Organization", on_delete=models.CASCADE, related_name="spend_settings"
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "spend settings"

    def __str__(self) -> str:
        return f"Spend settings of {self.organization}"


class SaasService(models.Model):
    """A SaaS service the organisation pays for: integrated (PagerDuty) or kept by hand."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="saas_services"
    )
    catalog_key = models.CharField(
        max_length=50, blank=True, help_text='"pagerduty" for the integrated service; else empty.'
    )
    name = models.CharField(max_length=200)
    vendor = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=100, blank=True)
    connection = models.ForeignKey(
        "integrations.Connection",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The PagerDuty connection whose data this service shows.",
    )
    billing_cycle = models.CharField(
        max_length=10, choices=BillingCycle.choices, default=BillingCycle.MONTHLY
    )
    renewal_date = models.DateField(null=True, blank=True)
    renewal_notice_days = models.PositiveIntegerField(default=DEFAULT_RENEWAL_NOTICE_DAYS)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "catalog_key"],
                condition=~models.Q(catalog_key=""),
                name="unique_catalog_service_per_org",
            )
        ]
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pagerduty(self) -> bool:
        return self.catalog_key == "pagerduty"


class ServiceTier(models.Model):
    """A license tier of a service, priced per seat per month; seats bought are optional."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(SaasService, on_delete=models.CASCADE, related_name="tiers")
    name = models.CharField(max_length=255)
    role_group = models.CharField(max_length=50, blank=True, help_text="FullUser, Stakeholder...")
    price_per_seat_cents = models.PositiveIntegerField(null=True, blank=True)
    seats_bought = models.PositiveIntegerField(null=True, blank=True)
    seats_used_manual = models.PositiveIntegerField(
        null=True, blank=True, help_text="Seats in use, for a service kept by hand."
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="unique_tier_per_service")
        ]
        ordering = ["service", "position", "name"]

    def __str__(self) -> str:
        return f"{self.service}: {self.name}"


class UsageMonth(models.Model):
    """One month of one service's usage, recomputed from synced records after each sync.

    ``None`` means "not available" (e.g. notifications without the scope), never zero."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(SaasService, on_delete=models.CASCADE, related_name="usage")
    month = models.DateField(help_text="First day of the month (UTC).")
    incidents = models.PositiveIntegerField(default=0)
    alerts = models.PositiveIntegerField(default=0)
    billable_alerts = models.PositiveIntegerField(null=True, blank=True)
    notifications = models.PositiveIntegerField(null=True, blank=True)
    peak_seats = models.PositiveIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "month"], name="unique_usage_month")
        ]
        ordering = ["service", "month"]

    def __str__(self) -> str:
        return f"{self.service} {self.month:%Y-%m}"


class InsightFinding(models.Model):
    """An account an insight named; ``realized_at`` is set once its seat went away."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(SaasService, on_delete=models.CASCADE, related_name="findings")
    code = models.CharField(max_length=50)
    account = models.ForeignKey(
        "integrations.RemoteAccount", on_delete=models.CASCADE, related_name="+"
    )
    monthly_saving_cents = models.PositiveIntegerField(default=0)
    first_named_at = models.DateTimeField(default=timezone.now)
    last_named_at = models.DateTimeField(default=timezone.now)
    realized_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "code", "account"], name="unique_insight_finding"
            )
        ]
        indexes = [models.Index(fields=["service", "realized_at"])]

    def __str__(self) -> str:
        return f"{self.code}: {self.account_id}"
