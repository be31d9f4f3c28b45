"""Tenants: organisations, who belongs to them, their staff directory and their audit log."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")
        ]
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


INVITATION_LIFETIME = timedelta(days=7)


def hash_invitation_token(token: str) -> str:
    """Only the hash is stored, so a database leak gives nobody a working invitation link."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "pending"


class OrgRole(models.Model):
    """A job role inside the organisation ("SRE", "Support"), used by access rules."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="org_roles"
    )
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization", Lower("name"), name="unique_org_role_name_per_org"
            )
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    OFFBOARDED = "offboarded", "Offboarded"


class StaffMember(models.Model):
    """A person employed by the organisation; PagerDuty accounts are mapped to these."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="staff_members"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(help_text="Stored in lower case; unique in the organisation.")
    org_role = models.ForeignKey(
        OrgRole, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_members"
    )
    status = models.CharField(
        max_length=20, choices=StaffStatus.choices, default=StaffStatus.ACTIVE
    )
    start_date = models.DateField(null=True, blank=True)
    last_working_day = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"], name="unique_staff_email_per_org"
            )
        ]
        indexes = [models.Index(fields=["organization", "status", "name"])]
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def alternate_emails(self) -> list[str]:
        return [row.email for row in self.alternate_email_rows.all()]


class StaffAlternateEmail(models.Model):
    """Another address a staff member is known by (an alias, an old domain); accounts whose
    email equals it are mapped to them like their main email. Stored in lower case."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    staff_member = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="alternate_email_rows"
    )
    email = models.EmailField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"], name="unique_staff_alternate_email_per_org"
            )
        ]
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class AuditEvent(models.Model):
    """Who changed what, written in the same transaction as the change itself."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=100)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    target = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "action", "-created_at"]),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"
