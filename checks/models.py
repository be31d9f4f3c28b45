"""What every check found, its history and trend, and the special cases admins declared.

Results are generic: a check yields one row per entity keyed by (check code, entity type,
entity id), plus one summary row per check per organisation. Entity types are the codes of the
kinds domain apps register (`checks.entity_kinds`); the check definitions live in code
(`checks.registry`), not in the database.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from sprintolike.evidence import evidence_storage, evidence_upload_to

ENTITY_TYPE_MAX_LENGTH = 30


class CheckStatus(models.TextChoices):
    PASSING = "passing", "Passing"
    DUE = "due", "Due"
    FAILING = "failing", "Failing"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


# Worst first wins: an overall status, or an entity's "Checks" column, shows the worst one.
STATUS_SEVERITY = {
    CheckStatus.NOT_APPLICABLE: 0,
    CheckStatus.PASSING: 1,
    CheckStatus.DUE: 2,
    CheckStatus.FAILING: 3,
}


# --- Special cases -----------------------------------------------------------------------------


class SpecialCaseQuerySet(models.QuerySet):
    def open(self) -> "SpecialCaseQuerySet":
        """Not withdrawn (at most one per check and entity), whether expired or not."""
        return self.filter(withdrawn_at__isnull=True)

    def active(self, *, on: date) -> "SpecialCaseQuerySet":
        """The special cases that count on day `on`: not withdrawn and not yet expired."""
        return self.open().filter(Q(expires_on__isnull=True) | Q(expires_on__gt=on))

    def expired(self, *, on: date) -> "SpecialCaseQuerySet":
        return self.open().filter(expires_on__lte=on)


class SpecialCaseState(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


class SpecialCase(models.Model):
    """A failing entity an admin declared out of scope of one check; it then counts as passing
    until it is withdrawn or, when it has one, until its expiry date."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    check_code = models.CharField(max_length=100)
    entity_type = models.CharField(max_length=ENTITY_TYPE_MAX_LENGTH)
    entity_id = models.BigIntegerField()
    entity_label = models.CharField(max_length=300, blank=True)
    reason = models.TextField()
    expires_on = models.DateField(
        null=True,
        blank=True,
        help_text="From this day on the special case no longer counts (blank: until withdrawn).",
    )
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

    def state(self, *, on: date | None = None) -> str:
        """Expired wins over withdrawn when the special case was closed after its expiry (a new
        special case for the same entity closes an expired one)."""
        on = on or timezone.localdate()
        if self.expires_on is not None:
            ended_on = timezone.localdate(self.withdrawn_at) if self.withdrawn_at else on
            if ended_on >= self.expires_on:
                return SpecialCaseState.EXPIRED
        return SpecialCaseState.WITHDRAWN if self.withdrawn_at else SpecialCaseState.ACTIVE

    @property
    def current_state(self) -> str:
        return self.state()


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
    entity_type = models.CharField(max_length=ENTITY_TYPE_MAX_LENGTH)
    entity_id = models.BigIntegerField(help_text="Primary key of the entity's row.")
    entity_external_id = models.CharField(
        max_length=64, blank=True, help_text="The entity's id where it comes from (PagerDuty)."
    )
    entity_label = models.CharField(max_length=300, blank=True)
    entity_extra = models.JSONField(
        default=dict, blank=True, help_text="Facts of the entity's kind, such as its number."
    )
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
            # A check's results by status, longest in that status first (drill-downs, the
            # dashboard's "needs attention").
            models.Index(
                fields=["organization", "check_code", "status", "status_since", "id"],
                name="check_result_status_since",
            ),
            models.Index(fields=["organization", "entity_type", "entity_id"]),
            # "Failing only" on entity lists (and due entities past their deadline).
            models.Index(
                fields=["organization", "entity_type", "status", "entity_id"],
                name="check_result_entity_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.check_code} {self.entity_type} {self.entity_id}: {self.status}"


class CheckResultChange(models.Model):
    """One change of an entity's status under a check (written only when the status changes)."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    check_code = models.CharField(max_length=100)
    entity_type = models.CharField(max_length=ENTITY_TYPE_MAX_LENGTH)
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


class EvaluationState(models.Model):
    """What the last full evaluation of an organisation's checks saw, so a scheduled run can
    skip an organisation whose inputs did not change.

    ``inputs_version`` is bumped whenever something the checks read changed (a sync run, a
    policy saved: see ``checks.services.evaluation_inputs_changed``); ``evaluated_version`` is
    the version the last full evaluation started from. ``signature`` covers the registered
    checks and the organisation's connections; ``next_deadline_at`` is the earliest deadline
    of a due entity, when a status changes by time alone.
    """

    organization = models.OneToOneField(
        "tenants.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    inputs_version = models.PositiveBigIntegerField(default=0)
    evaluated_version = models.PositiveBigIntegerField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    signature = models.CharField(max_length=64, blank=True)
    next_deadline_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Evaluation state of organisation {self.organization_id}"
