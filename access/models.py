"""Access management: critical systems, who may hold an account, identities, access reviews.

Synced PagerDuty accounts live in `integrations.RemoteAccount` and are never written here: a
mapping by hand or a "not a staff account" mark is an `AccountIdentity` keyed by the account's
id in its system, so it survives every sync, also when the account disappears and comes back.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from integrations.pagerduty.roles import ROLE_CHOICES, role_label
from sprintolike.evidence import evidence_storage, evidence_upload_to

MAX_GRACE_DAYS = 365
MIN_REVIEW_PERIOD_MONTHS = 1
MAX_REVIEW_PERIOD_MONTHS = 36


class SystemKind(models.TextChoices):
    PAGERDUTY = "pagerduty", "PagerDuty"
    MANUAL = "manual", "Kept by hand"


class ValidAccessMode(models.TextChoices):
    ALL_STAFF = "all_staff", "All staff"
    ROLE_BASED = "role_based", "Role-based"


class CriticalSystem(models.Model):
    """A system auditors ask about: PagerDuty (fed by the sync) or one kept by hand."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="critical_systems"
    )
    kind = models.CharField(max_length=20, choices=SystemKind.choices)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The member answerable for the system; reviews its access by default.",
    )
    review_delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A member the owner lets review access in their stead.",
    )
    valid_access_mode = models.CharField(
        max_length=20, choices=ValidAccessMode.choices, default=ValidAccessMode.ALL_STAFF
    )
    grace_days = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_GRACE_DAYS)],
        help_text="Days after the last working day before a leaver's live account fails.",
    )
    review_period_months = models.PositiveIntegerField(
        default=12,
        validators=[
            MinValueValidator(MIN_REVIEW_PERIOD_MONTHS),
            MaxValueValidator(MAX_REVIEW_PERIOD_MONTHS),
        ],
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(kind="pagerduty"),
                name="one_pagerduty_system_per_org",
            ),
            models.UniqueConstraint(
                "organization", Lower("name"), name="unique_critical_system_name_per_org"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_pagerduty(self) -> bool:
        return self.kind == SystemKind.PAGERDUTY


class RoleAllowance(models.Model):
    """Role-based valid access: staff with `org_role` may hold an account, at most
    `max_role` (a PagerDuty API role value; blank for systems kept by hand)."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    system = models.ForeignKey(CriticalSystem, on_delete=models.CASCADE, related_name="allowances")
    org_role = models.ForeignKey("tenants.OrgRole", on_delete=models.CASCADE, related_name="+")
    max_role = models.CharField(max_length=50, choices=ROLE_CHOICES, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "org_role"], name="unique_role_allowance")
        ]
        ordering = ["org_role__name"]

    def __str__(self) -> str:
        return f"{self.org_role} → {self.get_max_role_display() or 'any'}"


class IdentityKind(models.TextChoices):
    MAPPED = "mapped", "Mapped by hand"
    NOT_STAFF = "not_staff", "Not a staff account"


class NotStaffKind(models.TextChoices):
    SERVICE = "service", "Service account"
    SHARED = "shared", "Shared account"
    EXTERNAL = "external", "External (contractor, vendor)"


class AccountIdentity(models.Model):
    """Who an account belongs to, decided by a person; wins over the automatic mapping.

    `account_key` is the account's id in its system: the PagerDuty user id, or the email of an
    account of a system kept by hand.
    """

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    system = models.ForeignKey(CriticalSystem, on_delete=models.CASCADE, related_name="identities")
    account_key = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=IdentityKind.choices)
    staff_member = models.ForeignKey(
        "tenants.StaffMember", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    not_staff_kind = models.CharField(max_length=20, choices=NotStaffKind.choices, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["system", "account_key"], name="unique_account_identity"
            )
        ]
        verbose_name_plural = "account identities"

    def __str__(self) -> str:
        return f"{self.account_key}: {self.get_kind_display()}"


class ManualAccount(models.Model):
    """An account of a system kept by hand, imported from CSV (`email,name,role`)."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    system = models.ForeignKey(
        CriticalSystem, on_delete=models.CASCADE, related_name="manual_accounts"
    )
    email = models.EmailField(help_text="Lower case.")
    name = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=100, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["system", "email"], name="unique_manual_account")
        ]
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email


class ReviewDecision(models.TextChoices):
    KEEP = "keep", "Keep"
    REVOKE = "revoke", "Revoke"
    DOWNGRADE = "downgrade", "Downgrade"


class ReviewChange(models.TextChoices):
    NONE = "", "Unchanged"
    NEW = "new", "New since the last review"
    REMOVED = "removed", "Removed since the last review"


class FollowUpStatus(models.TextChoices):
    NONE = "", "None"
    OPEN = "open", "Waiting for the next sync"
    DONE = "done", "Verified by a sync"


class AccessReview(models.Model):
    """A review of who holds an account in a critical system, on a frozen snapshot."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    system = models.ForeignKey(CriticalSystem, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    completed_at = models.DateTimeField(null=True, blank=True)
    evidence = models.FileField(
        storage=evidence_storage, upload_to=evidence_upload_to, blank=True, max_length=300
    )
    last_reminder_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["system", "-started_at"])]

    def __str__(self) -> str:
        return f"Review of {self.system} started {self.started_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


class AccessReviewItem(models.Model):
    """One account as it was when the review started, and what the reviewer decided."""

    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="+"
    )
    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="items")
    account_key = models.CharField(max_length=255)
    account_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=254, blank=True)
    role = models.CharField(max_length=100, blank=True)
    license_name = models.CharField(max_length=255, blank=True)
    identification = models.CharField(max_length=20)
    staff_member = models.ForeignKey(
        "tenants.StaffMember", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_name = models.CharField(max_length=200, blank=True)
    staff_status = models.CharField(max_length=20, blank=True)
    org_role_name = models.CharField(max_length=100, blank=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    suggested_decision = models.CharField(max_length=20, choices=ReviewDecision.choices, blank=True)
    suggestion_reason = models.CharField(max_length=200, blank=True)
    change = models.CharField(max_length=20, choices=ReviewChange.choices, blank=True)
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices, blank=True)
    downgrade_to = models.CharField(max_length=50, choices=ROLE_CHOICES, blank=True)
    comment = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    follow_up = models.CharField(max_length=20, choices=FollowUpStatus.choices, blank=True)
    follow_up_done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "account_key"], name="unique_review_item")
        ]
        ordering = ["account_name", "email", "id"]
        indexes = [models.Index(fields=["organization", "follow_up"])]

    def __str__(self) -> str:
        return f"{self.email or self.account_key}: {self.decision or 'undecided'}"

    @property
    def role_label(self) -> str:
        return role_label(self.role) if self.role else ""

    @property
    def identification_label(self) -> str:
        from access.rules import IDENTIFICATION_LABELS

        return IDENTIFICATION_LABELS.get(self.identification, self.identification)

    @property
    def needs_decision(self) -> bool:
        return self.change != ReviewChange.REMOVED
