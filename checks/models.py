"""Checks: the incident policy, data-loss reviews, special cases, and what every check found.

Results are generic: a check yields one row per entity (an incident, later an account) keyed by
(check code, entity type, entity id), plus one summary row per check per organisation. The
check definitions themselves live in code (`checks.registry`), not in the database.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from checks.storage import evidence_storage, evidence_upload_to

DEFAULT_SLA_HOURS_HIGH = 24
DEFAULT_SLA_HOURS_LOW = 72
DEFAULT_DATA_LOSS_FIELD_NAME = "data_loss"
MAX_SLA_HOURS = 24 * 366


class CheckStatus(models.TextChoices):
    PASSING = "passing", "Passing"
    DUE = "due", "Due"
    FAILING = "failing", "Failing"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


# Worst first wins: an overall status, or an incident's "Checks" column, shows the worst one.
STATUS_SEVERITY = {
    CheckStatus.NOT_APPLICABLE: 0,
    CheckStatus.PASSING: 1,
    CheckStatus.DUE: 2,
    CheckStatus.FAILING: 3,
}


class EntityType(models.TextChoices):
    INCIDENT = "incident", "Incident"
    ACCOUNT = "account", "Account"


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


class IncidentReview(models.Model):
    """What the organisation recorded about one incident: data loss and its disclosure."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    incident = models.OneToOneField(
        "integrations.RemoteIncident", on_delete=models.CASCADE, related_name="review"
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
        return f"Review of incident {self.incident_id}"

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
    review = models.ForeignKey(IncidentReview, on_delete=models.CASCADE, related_name="disclosures")
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


# --- Special cases -----------------------------------------------------------------------------


class SpecialCaseQuerySet(models.QuerySet):
    def active(self) -> "SpecialCaseQuerySet":
        return self.filter(withdrawn_at__isnull=True)


class SpecialCase(models.Model):
    """A failing entity an admin declared out of scope of one check; it then counts as passing."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    check_code = models.CharField(max_length=100)
    entity_type = models.CharField(max_length=20, choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    entity_label = models.CharField(max_length=300, blank=True)
    reason = models.TextField()
    evidence = models.FileField(
        storage=evidence_storage, upload_to=evidence_upload_to, max_length=300, blank=True
    )
    evidence_name = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SpecialCaseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "check_code", "entity_type", "entity_id"],
                condition=Q(withdrawn_at__isnull=True),
                name="unique_active_special_case",
            )
        ]
        indexes = [models.Index(fields=["organization", "entity_type", "entity_id"])]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Special case for {self.check_code} {self.entity_type} {self.entity_id}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None


# --- Results -----------------------------------------------------------------------------------


class CheckResult(models.Model):
    """The current status of one entity under one check.

    A row is written only when something about it changes, so `updated_at` is when it last
    changed; the check's `CheckSummary.evaluated_at` is when every row was last confirmed.
    """

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    check_code = models.CharField(max_length=100)
    entity_type = models.CharField(max_length=20, choices=EntityType.choices)
    entity_id = models.BigIntegerField(help_text="Primary key of the synced record.")
    entity_external_id = models.CharField(max_length=64, blank=True, help_text="PagerDuty id.")
    entity_number = models.PositiveIntegerField(null=True, blank=True, help_text="Incidents.")
    entity_email = models.CharField(max_length=254, blank=True, help_text="Accounts.")
    entity_label = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=CheckStatus.choices)
    evaluated_status = models.CharField(
        max_length=20,
        choices=CheckStatus.choices,
        help_text="What the check found, before any special case turned it into passing.",
    )
    deadline = models.DateTimeField(null=True, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    special_case = models.ForeignKey(
        SpecialCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_since = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "check_code", "entity_type", "entity_id"],
                name="unique_check_result",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "check_code", "status"]),
            models.Index(fields=["organization", "entity_type", "entity_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.check_code} {self.entity_type} {self.entity_id}: {self.status}"


class CheckResultChange(models.Model):
    """One change of an entity's status under a check (written only when the status changes)."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    check_code = models.CharField(max_length=100)
    entity_type = models.CharField(max_length=20, choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    from_status = models.CharField(max_length=20, choices=CheckStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CheckStatus.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["organization", "entity_type", "entity_id", "at"]),
            models.Index(fields=["organization", "check_code", "at"]),
        ]
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.check_code} {self.entity_id}: {self.from_status or '—'} → {self.to_status}"


class CheckSummary(models.Model):
    """The overall status of one check in one organisation, as of `evaluated_at`."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    check_code = models.CharField(max_length=100)
    status = models.CharField(
        max_length=20, choices=CheckStatus.choices, default=CheckStatus.NOT_APPLICABLE
    )
    passing_count = models.PositiveIntegerField(default=0)
    due_count = models.PositiveIntegerField(default=0)
    failing_count = models.PositiveIntegerField(default=0)
    special_case_count = models.PositiveIntegerField(
        default=0, help_text="Included in passing_count."
    )
    detail = models.CharField(max_length=500, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    status_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "check_code"], name="unique_check_summary"
            )
        ]
        verbose_name_plural = "check summaries"

    def __str__(self) -> str:
        return f"{self.check_code}: {self.status}"

    @property
    def counts(self) -> dict[str, int]:
        return {
            CheckStatus.PASSING: self.passing_count,
            CheckStatus.DUE: self.due_count,
            CheckStatus.FAILING: self.failing_count,
        }


class CheckSummaryChange(models.Model):
    """One change of a check's overall status, with the counts at that moment."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    check_code = models.CharField(max_length=100)
    from_status = models.CharField(max_length=20, choices=CheckStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CheckStatus.choices)
    passing_count = models.PositiveIntegerField(default=0)
    due_count = models.PositiveIntegerField(default=0)
    failing_count = models.PositiveIntegerField(default=0)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "check_code", "-at"])]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.check_code}: {self.from_status or '—'} → {self.to_status}"


class CheckTrendPoint(models.Model):
    """A check's counts at the last evaluation of one day: the Monitoring page's trend."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    check_code = models.CharField(max_length=100)
    day = models.DateField()
    status = models.CharField(max_length=20, choices=CheckStatus.choices)
    passing_count = models.PositiveIntegerField(default=0)
    due_count = models.PositiveIntegerField(default=0)
    failing_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "check_code", "day"], name="unique_check_trend_point"
            )
        ]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.check_code} on {self.day}: {self.status}"
