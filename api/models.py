"""Organisation API tokens: what automation presents as `Authorization: Bearer <token>`.

The token itself is shown once, when it is created; only its SHA-256 hash is stored (a token
is 256 random bits, so a fast hash is enough: nobody can guess their way back from it), with
its last four characters so people can tell their tokens apart.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.models import Role

TOKEN_PREFIX = "spl_"


class TokenRole(models.TextChoices):
    """A member token reads; an admin token also writes. No token acts as an owner."""

    MEMBER = Role.MEMBER.value, "Member (read)"
    ADMIN = Role.ADMIN.value, "Admin (read and write)"


def hash_api_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_token_secret() -> str:
    """A recognisable prefix (secret scanners and people spot it) and 256 random bits."""
    return f"{TOKEN_PREFIX}{secrets.token_urlsafe(32)}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> "ApiTokenQuerySet":
        """Neither revoked nor expired: the tokens that authenticate a request now."""
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    organization = models.ForeignKey(
        "tenants.Organization", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “CI export”.")
    role = models.CharField(max_length=20, choices=TokenRole.choices, default=TokenRole.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    last_four = models.CharField(max_length=4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Blank: never expires.")
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Updated at most once a minute."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"API token “{self.name}” (…{self.last_four})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.is_expired:
            return "expired"
        return "active"
