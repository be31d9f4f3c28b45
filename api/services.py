"""Writes of API tokens: create (the secret is returned once), revoke, and record use.

Create and revoke are audited in the same transaction; the audit details never hold the secret.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.models import ApiToken, TokenRole, hash_api_token, new_api_token_secret
from sprintolike.actors import user_or_none
from tenants.models import Organization
from tenants.services import audit_event_record

MAX_EXPIRES_DAYS = 3650
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenError(Exception):
    """A change the rules refuse; the message is shown to the user as it is."""


@dataclass(frozen=True)
class CreatedApiToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _audit_details(token: ApiToken) -> dict[str, Any]:
    return {
        "name": token.name,
        "role": token.role,
        "last_four": token.last_four,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


def api_token_create(
    *,
    organization: Organization,
    name: str,
    role: str,
    acting_user: Any,
    expires_days: int | None = None,
) -> CreatedApiToken:
    name = name.strip()
    if not name:
        raise ApiTokenError("Give the token a name that says what it is for.")
    if role not in TokenRole.values:
        raise ApiTokenError("A token's role is member (read) or admin (read and write).")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ApiTokenError(f"A token expires after 1 to {MAX_EXPIRES_DAYS} days, or never.")
    secret = new_api_token_secret()
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            organization=organization,
            name=name[:100],
            role=role,
            token_hash=hash_api_token(secret),
            last_four=secret[-4:],
            created_by=user_or_none(acting_user),
            created_at=now,
            expires_at=now + timedelta(days=expires_days) if expires_days else None,
        )
        audit_event_record(
            organization=organization,
            actor=acting_user,
            action="api_token.create",
            target=token,
            details=_audit_details(token),
        )
    return CreatedApiToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken, acting_user: Any) -> ApiToken:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            raise ApiTokenError("This token was already revoked.")
        token.revoked_at = timezone.now()
        token.revoked_by = user_or_none(acting_user)
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_event_record(
            organization=token.organization,
            actor=acting_user,
            action="api_token.revoke",
            target=token,
            details=_audit_details(token),
        )
    return token


def api_token_authenticate(secret: str) -> ApiToken | None:
    """The usable token with this secret (one indexed query), else None."""
    if not secret:
        return None
    return (
        ApiToken.objects.usable()
        .select_related("organization")
        .filter(token_hash=hash_api_token(secret))
        .first()
    )


def api_token_record_use(*, token: ApiToken) -> None:
    """Keep `last_used_at` to the minute without a write on every request."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now
