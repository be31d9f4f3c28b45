"""Writes of the check engine: special cases, and the audit of evidence exports.

Each change is atomic and records an audit event in the same transaction. A change that moves
an entity's status re-evaluates that entity at once, so pages show the new status immediately.
"""

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from checks.base import Check
from checks.evaluation import entity_evaluate
from checks.models import CheckResult, CheckStatus, SpecialCase
from sprintolike.actors import user_or_none
from tenants.models import Organization
from tenants.services import audit_event_record


class ChecksError(Exception):
    """A change the rules refuse; the message is shown to the user as it is."""


def special_case_create(
    *,
    organization: Organization,
    check: Check,
    entity_id: int,
    reason: str,
    evidence: UploadedFile | None,
    acting_user: Any,
    expires_on: date | None = None,
) -> SpecialCase:
    """Mark a failing entity out of scope of `check`; it counts as passing from now on, until
    the special case is withdrawn or reaches `expires_on` (None: no expiry). An expired special
    case of the same entity is closed, so its history stays."""
    reason = reason.strip()
    if not reason:
        raise ChecksError("Say why this is a special case.")
    today = timezone.localdate()
    if expires_on is not None and expires_on <= today:
        raise ChecksError("The expiry date must be after today.")
    with transaction.atomic():
        result = (
            CheckResult.objects.select_for_update()
            .filter(
                organization=organization,
                check_code=check.code,
                entity_type=check.entity_type,
                entity_id=entity_id,
            )
            .first()
        )
        if result is None or result.evaluated_status != CheckStatus.FAILING:
            raise ChecksError("Only an entity failing this check can be marked a special case.")
        open_cases = SpecialCase.objects.open().filter(
            organization=organization,
            check_code=check.code,
            entity_type=check.entity_type,
            entity_id=entity_id,
        )
        if open_cases.active(on=today).exists():
            raise ChecksError("This is already a special case.")
        open_cases.update(withdrawn_at=timezone.now())  # expired ones: closed, still "expired"
        special_case = SpecialCase(
            organization=organization,
            check_code=check.code,
            entity_type=check.entity_type,
            entity_id=entity_id,
            entity_label=result.entity_label,
            reason=reason,
            expires_on=expires_on,
            created_by=user_or_none(acting_user),
        )
        if evidence is not None:
            special_case.evidence_name = evidence.name[:255]
            special_case.evidence.save(evidence.name, evidence, save=False)
        try:
            with transaction.atomic():
                special_case.save()
        except IntegrityError:
            raise ChecksError("This is already a special case.") from None
        audit_event_record(
            organization=organization,
            actor=acting_user,
            action="special_case.create",
            target=special_case,
            details={
                "check": check.code,
                "entity_type": check.entity_type,
                "entity_id": entity_id,
                "entity": result.entity_label,
                "reason": reason,
                "expires_on": expires_on.isoformat() if expires_on else None,
                "evidence": special_case.evidence_name,
            },
        )
    entity_evaluate(organization=organization, entity_type=check.entity_type, entity_id=entity_id)
    return special_case


def special_case_withdraw(*, special_case: SpecialCase, acting_user: Any) -> SpecialCase:
    """Put the entity back in scope: it shows what the check finds again."""
    with transaction.atomic():
        special_case = SpecialCase.objects.select_for_update().get(pk=special_case.pk)
        if special_case.withdrawn_at is not None:
            raise ChecksError("This special case was already withdrawn.")
        special_case.withdrawn_at = timezone.now()
        special_case.withdrawn_by = user_or_none(acting_user)
        special_case.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_event_record(
            organization=special_case.organization,
            actor=acting_user,
            action="special_case.withdraw",
            target=special_case,
            details={
                "check": special_case.check_code,
                "entity_type": special_case.entity_type,
                "entity_id": special_case.entity_id,
                "entity": special_case.entity_label,
            },
        )
    entity_evaluate(
        organization=special_case.organization,
        entity_type=special_case.entity_type,
        entity_id=special_case.entity_id,
    )
    return special_case


def evidence_export_record(
    *, organization: Organization, acting_user: Any, start: date, end: date
) -> None:
    """Exports hand compliance data to people outside the app, so each one is audited."""
    audit_event_record(
        organization=organization,
        actor=acting_user,
        action="evidence.export",
        details={"start": start.isoformat(), "end": end.isoformat()},
    )
