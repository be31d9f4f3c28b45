"""Incident management: the organisation's incident policy (sources, SLAs, report address,
data-loss custom field), and what it recorded about an incident's data loss and disclosures.

The incidents themselves are synced records (`integrations.RemoteIncident`); the rules that
judge them are in `incidents.rules`.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from sprintolike.evidence import evidence_storage, evidence_upload_to

DEFAULT_SLA_HOURS_HIGH = 24
DEFAULT_SLA_HOURS_LOW = 72
DEFAULT_DATA_LOSS_FIELD_NAME = "data_loss"
MAX_SLA_HOURS = 24 * 366
MAX_RECORDS_AFFECTED = 9_223_372_036_854_775_807  # PositiveBigIntegerField's upper bound


# --- Incident policy ---------------------------------------------------------------------------


class IncidentPolicy(models.Model):
    """How one organisation runs incident management: sources, report address, SLAs, data loss.

    An organisation without a row uses the defaults (every service is a source, 24 h / 72 h);
    the row is created the first time an admin saves the settings.
    """

    organization = models.OneToOneField(
        "tenants.Organization", on_delete=models.CASCADE, related_name="incident_policy"
    )
    sources_narrowed = models.BooleanField(
        default=False,
        help_text="False: every synced PagerDuty service is an incident source, including "
        "services added later. True: only the services listed as IncidentSource rows.",
    )
    report_email = models.EmailField(
        blank=True,
        help_text="Where employees report incidents (often a service's email integration).",
    )
    sla_hours_high = models.PositiveIntegerField(
        default=DEFAULT_SLA_HOURS_HIGH, validators=[MinValueValidator(1)]
    )
    sla_hours_low = models.PositiveIntegerField(
        default=DEFAULT_SLA_HOURS_LOW, validators=[MinValueValidator(1)]
    )
    data_loss_field_name = models.CharField(
        max_length=100,
        default=DEFAULT_DATA_LOSS_FIELD_NAME,
        blank=True,
        help_text="Name of the PagerDuty incident custom field that says whether data was lost.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "incident policies"

    def __str__(self) -> str:
        return f"Incident policy of {self.organization}"

    def sla_hours_for_urgency(self, urgency: str) -> int:
        """PagerDuty urgencies are high and low; anything else gets the stricter high SLA."""
        return self.sla_hours_low if urgency == "low" else self.sla_hours_high


class IncidentSource(models.Model):
    """A PagerDuty service chosen as an incident source (used once sources are narrowed)."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    service = models.ForeignKey(
        "integrations.RemoteService", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "service"], name="unique_incident_source"
            )
        ]

    def __str__(self) -> str:
        return f"Source {self.service_id} of {self.organization_id}"


class PrioritySla(models.Model):
    """SLA hours for one PagerDuty priority; wins over the urgency SLA when both apply."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    priority = models.ForeignKey(
        "integrations.RemotePriority", on_delete=models.CASCADE, related_name="+"
    )
    sla_hours = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "priority"], name="unique_priority_sla")
        ]

    def __str__(self) -> str:
        return f"{self.priority_id}: {self.sla_hours} h"


# --- Data-loss review --------------------------------------------------------------------------


class DataLossAnswer(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_ANSWERED = "", "Not answered"


class DataKind(models.TextChoices):
    CUSTOMER_PERSONAL_DATA = "customer_personal_data", "Customer personal data"
    CREDENTIALS = "credentials", "Credentials"
    PAYMENT_DATA = "payment_data", "Payment data"
    BUSINESS_PARTNER_DATA = "business_partner_data", "Business-partner data"
    INTERNAL = "internal", "Internal data"
    OTHER = "other", "Other"


class Stakeholder(models.TextChoices):
    CUSTOMERS = "customers", "Customers"
    BUSINESS_PARTNER = "business_partner", "Business partner"
    REGULATOR = "regulator", "Regulator"
    INTERNAL_MANAGEMENT = "internal_management", "Internal management"


class DataLossReview(models.Model):
    """Whether an incident lost data and, if it did, what, how much, and who must be told."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    incident = models.OneToOneField(
        "integrations.RemoteIncident", on_delete=models.CASCADE, related_name="data_loss_review"
    )
    data_loss = models.CharField(
        max_length=3,
        choices=DataLossAnswer.choices,
        blank=True,
        default=DataLossAnswer.NOT_ANSWERED,
    )
    data_kinds = models.JSONField(default=list, blank=True, help_text="DataKind values.")
    other_data_description = models.CharField(max_length=300, blank=True)
    records_affected = models.PositiveBigIntegerField(null=True, blank=True)
    stakeholders = models.JSONField(
        default=list, blank=True, help_text="Stakeholder values the loss must be disclosed to."
    )
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Data-loss review of incident {self.incident_id}"

    def get_data_kinds_display(self) -> list[str]:
        labels = dict(DataKind.choices)
        return [labels.get(kind, kind) for kind in self.data_kinds]

    def get_stakeholders_display(self) -> list[str]:
        labels = dict(Stakeholder.choices)
        return [labels.get(stakeholder, stakeholder) for stakeholder in self.stakeholders]


class Disclosure(models.Model):
    """Whether a data loss was disclosed to one stakeholder, when, and the proof."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    review = models.ForeignKey(DataLossReview, on_delete=models.CASCADE, related_name="disclosures")
    stakeholder = models.CharField(max_length=30, choices=Stakeholder.choices)
    done = models.BooleanField(default=False)
    disclosed_on = models.DateField(null=True, blank=True)
    evidence = models.FileField(
        storage=evidence_storage, upload_to=evidence_upload_to, max_length=300, blank=True
    )
    evidence_name = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "stakeholder"], name="unique_disclosure")
        ]
        ordering = ["review", "stakeholder"]

    def __str__(self) -> str:
        return f"Disclosure to {self.get_stakeholder_display()}"

    @property
    def is_complete(self) -> bool:
        return self.done and self.disclosed_on is not None
