"""Writes of incident management: the incident policy and data-loss reviews.

Each change is atomic and records an audit event in the same transaction. A data-loss review
re-evaluates the incident's checks at once, so its page shows the new status immediately.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from checks.evaluation import entity_evaluate
from incidents.checks import INCIDENT
from incidents.models import (
    MAX_RECORDS_AFFECTED,
    MAX_SLA_HOURS,
    DataKind,
    DataLossAnswer,
    DataLossReview,
    Disclosure,
    IncidentPolicy,
    IncidentSource,
    PrioritySla,
    Stakeholder,
)
from integrations.models import RemoteIncident, RemotePriority, RemoteService
from sprintolike.actors import user_or_none
from tenants.models import Organization
from tenants.services import audit_event_record


class IncidentsError(Exception):
    """A change the rules refuse; the message is shown to the user as it is."""


def _validate_sla_hours(hours: Any, what: str) -> int:
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_SLA_HOURS:
        raise IncidentsError(
            f"The SLA for {what} must be a whole number of hours from 1 to {MAX_SLA_HOURS}."
        )
    return hours


@transaction.atomic
def incident_policy_update(
    *,
    organization: Organization,
    acting_user: Any,
    sources_narrowed: bool,
    source_service_ids: Iterable[int],
    report_email: str,
    sla_hours_high: int,
    sla_hours_low: int,
    priority_sla_hours: Mapping[int, int | None],
    data_loss_field_name: str,
) -> IncidentPolicy:
    """Save the organisation's incident policy.

    `sources_narrowed=False` makes every synced service a source, including services PagerDuty
    adds later; True limits the sources to `source_service_ids` (at least one, all of this
    organisation). A priority mapped to None uses its urgency's SLA.
    """
    sla_hours_high = _validate_sla_hours(sla_hours_high, "high urgency")
    sla_hours_low = _validate_sla_hours(sla_hours_low, "low urgency")
    source_service_ids = set(source_service_ids) if sources_narrowed else set()
    known_services = set(
        RemoteService.objects.filter(
            organization=organization, pk__in=source_service_ids
        ).values_list("pk", flat=True)
    )
    if source_service_ids - known_services:
        raise IncidentsError(
            "Some of the chosen services are not synced services of this organisation."
        )
    if sources_narrowed and not source_service_ids:
        raise IncidentsError("Choose at least one incident source, or make every service a source.")
    priorities = {
        priority.pk: priority
        for priority in RemotePriority.objects.filter(
            organization=organization, pk__in=list(priority_sla_hours)
        )
    }
    if set(priority_sla_hours) - set(priorities):
        raise IncidentsError(
            "Some of the priorities are not synced priorities of this organisation."
        )
    for priority_id, hours in priority_sla_hours.items():
        if hours is not None:
            _validate_sla_hours(hours, f"priority {priorities[priority_id].name}")

    policy, _ = IncidentPolicy.objects.select_for_update().get_or_create(organization=organization)
    policy.sources_narrowed = sources_narrowed
    policy.report_email = report_email.strip().lower()
    policy.sla_hours_high = sla_hours_high
    policy.sla_hours_low = sla_hours_low
    policy.data_loss_field_name = data_loss_field_name.strip()
    policy.updated_by = user_or_none(acting_user)
    policy.save()

    current_sources = set(
        IncidentSource.objects.filter(organization=organization).values_list(
            "service_id", flat=True
        )
    )
    IncidentSource.objects.filter(
        organization=organization, service_id__in=current_sources - source_service_ids
    ).delete()
    IncidentSource.objects.bulk_create(
        [
            IncidentSource(organization=organization, service_id=service_id)
            for service_id in source_service_ids - current_sources
        ]
    )

    PrioritySla.objects.filter(organization=organization).delete()
    PrioritySla.objects.bulk_create(
        [
            PrioritySla(organization=organization, priority_id=priority_id, sla_hours=hours)
            for priority_id, hours in priority_sla_hours.items()
            if hours is not None
        ]
    )
    audit_event_record(
        organization=organization,
        actor=acting_user,
        action="incident_policy.update",
        target=policy,
        details={
            "sources": "every service" if not sources_narrowed else sorted(source_service_ids),
            "sources_removed": sorted(current_sources - source_service_ids),
            "report_email": policy.report_email,
            "sla_hours": {"high": sla_hours_high, "low": sla_hours_low},
            "priority_sla_hours": {
                priorities[priority_id].name: hours
                for priority_id, hours in priority_sla_hours.items()
                if hours is not None
            },
            "data_loss_field_name": policy.data_loss_field_name,
        },
    )
    return policy


# --- Data-loss review --------------------------------------------------------------------------


@dataclass(frozen=True)
class DisclosureInput:
    done: bool = False
    disclosed_on: date | None = None
    evidence: UploadedFile | None = None
    remove_evidence: bool = False


def _validate_review(
    *,
    data_loss: str,
    data_kinds: list[str],
    records_affected: int | None,
    stakeholders: list[str],
    disclosures: Mapping[str, DisclosureInput],
) -> None:
    if data_loss not in DataLossAnswer.values:
        raise IncidentsError("Answer yes, no, or leave data loss unanswered.")
    if set(data_kinds) - set(DataKind.values):
        raise IncidentsError("Unknown kind of data.")
    if set(stakeholders) - set(Stakeholder.values) or set(disclosures) - set(Stakeholder.values):
        raise IncidentsError("Unknown stakeholder.")
    if records_affected is not None and not 0 <= records_affected <= MAX_RECORDS_AFFECTED:
        raise IncidentsError(
            f"The number of records affected must be from 0 to {MAX_RECORDS_AFFECTED}."
        )
    today = timezone.localdate()
    for disclosure in disclosures.values():
        if disclosure.done and disclosure.disclosed_on is None:
            raise IncidentsError("A disclosure marked done needs the date it was made.")
        if disclosure.disclosed_on and disclosure.disclosed_on > today:
            raise IncidentsError("A disclosure date cannot be in the future.")


def _disclosures_save(
    *,
    review: DataLossReview,
    organization: Organization,
    disclosures: Mapping[str, DisclosureInput],
) -> list[str]:
    """Store each disclosure; returns the evidence files uploaded, for the audit log."""
    existing = {disclosure.stakeholder: disclosure for disclosure in review.disclosures.all()}
    uploaded: list[str] = []
    for stakeholder, wanted in disclosures.items():
        nothing_to_record = not (wanted.done or wanted.disclosed_on or wanted.evidence)
        if stakeholder not in existing and nothing_to_record:
            continue
        disclosure = existing.get(stakeholder) or Disclosure(
            organization=organization, review=review, stakeholder=stakeholder
        )
        disclosure.done = wanted.done
        disclosure.disclosed_on = wanted.disclosed_on
        if wanted.remove_evidence and disclosure.evidence:
            disclosure.evidence.delete(save=False)
            disclosure.evidence_name = ""
        if wanted.evidence is not None:
            if disclosure.evidence:
                disclosure.evidence.delete(save=False)
            disclosure.evidence_name = wanted.evidence.name[:255]
            disclosure.evidence.save(wanted.evidence.name, wanted.evidence, save=False)
            uploaded.append(f"{stakeholder}: {disclosure.evidence_name}")
        disclosure.save()
    return uploaded


def data_loss_review_save(
    *,
    incident: RemoteIncident,
    acting_user: Any,
    data_loss: str,
    data_kinds: list[str],
    other_data_description: str,
    records_affected: int | None,
    stakeholders: list[str],
    notes: str,
    disclosures: Mapping[str, DisclosureInput],
) -> DataLossReview:
    """Record the data-loss review of an incident, then re-evaluate the incident's checks.

    Details entered before the answer changed to "no" are kept (not shown, not counted), so a
    wrong click never deletes disclosure evidence.
    """
    _validate_review(
        data_loss=data_loss,
        data_kinds=data_kinds,
        records_affected=records_affected,
        stakeholders=stakeholders,
        disclosures=disclosures,
    )
    organization = incident.organization
    with transaction.atomic():
        review, _ = DataLossReview.objects.select_for_update().get_or_create(
            incident=incident, defaults={"organization": organization}
        )
        if review.organization_id != incident.organization_id:
            raise IncidentsError("This review belongs to another organisation.")
        previous = {"data_loss": review.data_loss, "stakeholders": list(review.stakeholders)}
        review.data_loss = data_loss
        review.data_kinds = [kind for kind in DataKind.values if kind in data_kinds]
        review.other_data_description = other_data_description.strip()
        review.records_affected = records_affected
        review.stakeholders = [item for item in Stakeholder.values if item in stakeholders]
        review.notes = notes.strip()
        review.updated_by = user_or_none(acting_user)
        review.save()
        uploaded = _disclosures_save(
            review=review, organization=organization, disclosures=disclosures
        )
        audit_event_record(
            organization=organization,
            actor=acting_user,
            action="data_loss_review.update",
            target=incident,
            details={
                "from": previous,
                "data_loss": review.data_loss,
                "data_kinds": review.data_kinds,
                "records_affected": review.records_affected,
                "stakeholders": review.stakeholders,
                "disclosures": {
                    stakeholder: {
                        "done": wanted.done,
                        "disclosed_on": wanted.disclosed_on.isoformat()
                        if wanted.disclosed_on
                        else None,
                    }
                    for stakeholder, wanted in disclosures.items()
                },
                "evidence_uploaded": uploaded,
            },
        )
    entity_evaluate(organization=organization, entity_type=INCIDENT, entity_id=incident.pk)
    return review
