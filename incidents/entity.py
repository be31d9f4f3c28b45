"""The `incident` entity kind: its page, and the facts the evidence export adds about it."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse

from checks.entity_kinds import EntityKind
from checks.evidence import iso
from checks.freshness import entities_gone
from checks.models import CheckResult
from incidents.checks import INCIDENT
from incidents.models import DataLossAnswer, DataLossReview, Disclosure
from incidents.rules import DataLossFlag, data_loss_flags, resolved_at_of
from incidents.scope import incident_policy_get
from integrations.models import RemoteIncident, RemotePriority
from tenants.models import Organization

EVIDENCE_COLUMNS = (
    "incident_number",
    "service",
    "urgency",
    "priority",
    "incident_status",
    "created_at",
    "resolved_at",
    "resolution_hours",
    "sla_hours",
    "resolved_late",
    "data_loss",
    "data_loss_flagged_by",
    "data_kinds",
    "records_affected",
    "disclosure_required_to",
    "disclosures",
    "review_notes",
)


def incident_url(org_slug: str, incident_id: int) -> str:
    return reverse("incidents:incident_detail", args=[org_slug, incident_id])


def incidents_reported_in(
    *, organization: Organization, start: datetime, end: datetime
) -> QuerySet[RemoteIncident]:
    """An export covers the incidents reported in its range."""
    return RemoteIncident.objects.filter(
        organization=organization, created_at_remote__gte=start, created_at_remote__lt=end
    ).values("pk")


def _hours(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 3600:.1f}"


def _data_loss_detail_columns(
    review: DataLossReview, disclosures: list[Disclosure]
) -> dict[str, Any]:
    """Details only count when data was lost; a "no" keeps them stored but not reported."""
    required = [
        disclosure for disclosure in disclosures if disclosure.stakeholder in review.stakeholders
    ]
    kinds = "; ".join(review.get_data_kinds_display())
    if review.other_data_description:
        kinds += f" ({review.other_data_description})"
    return {
        "data_kinds": kinds,
        "records_affected": "" if review.records_affected is None else review.records_affected,
        "disclosure_required_to": "; ".join(review.get_stakeholders_display()),
        "disclosures": "; ".join(
            f"{disclosure.get_stakeholder_display()}: "
            + (f"done {iso(disclosure.disclosed_on)}" if disclosure.is_complete else "not done")
            + (" (evidence attached)" if disclosure.evidence else "")
            for disclosure in required
        ),
    }


def _incident_columns(
    incident: RemoteIncident,
    result: CheckResult,
    disclosures: list[Disclosure],
    data_loss_field_name: str,
) -> dict[str, Any]:
    review = getattr(incident, "data_loss_review", None)
    answer = review.data_loss if review else DataLossAnswer.NOT_ANSWERED
    flags = data_loss_flags(
        resolution_note=incident.resolution_note,
        custom_fields=incident.custom_fields,
        data_loss_field=incident.data_loss_field,
        field_name=data_loss_field_name,
        answer=answer,
    )
    resolved_at = resolved_at_of(
        status=incident.status,
        resolved_at=incident.resolved_at,
        last_status_change_at=incident.last_status_change_at,
    )
    columns: dict[str, Any] = {
        "incident_number": incident.number,
        "service": incident.service.name if incident.service else "",
        "urgency": incident.urgency,
        "priority": incident.priority.name if incident.priority else "",
        "incident_status": incident.status,
        "created_at": iso(incident.created_at_remote),
        "resolved_at": iso(resolved_at),
        "resolution_hours": _hours(resolved_at - incident.created_at_remote) if resolved_at else "",
        "data_loss_flagged_by": "; ".join(DataLossFlag(flag).label for flag in flags),
        "data_loss": DataLossAnswer(answer).label,
    }
    if result.deadline:
        columns["sla_hours"] = _hours(result.deadline - incident.created_at_remote)
        if resolved_at:
            columns["resolved_late"] = "yes" if resolved_at > result.deadline else "no"
    if review is not None:
        columns["review_notes"] = review.notes
        if review.data_loss == DataLossAnswer.YES:
            columns.update(_data_loss_detail_columns(review, disclosures))
    return columns


def incident_evidence_values(
    *, organization: Organization, results: Sequence[CheckResult]
) -> dict[int, dict[str, Any]]:
    """The incident columns of a chunk of results, in three queries."""
    incidents = {
        incident.pk: incident
        for incident in RemoteIncident.objects.filter(
            organization=organization, pk__in=[result.entity_id for result in results]
        ).select_related("service", "priority", "data_loss_review")
    }
    review_ids = [
        incident.data_loss_review.pk
        for incident in incidents.values()
        if hasattr(incident, "data_loss_review")
    ]
    disclosures: dict[int, list[Disclosure]] = defaultdict(list)
    for disclosure in Disclosure.objects.filter(
        organization=organization, review_id__in=review_ids
    ):
        disclosures[disclosure.review_id].append(disclosure)
    field_name = incident_policy_get(organization=organization).data_loss_field_name
    values: dict[int, dict[str, Any]] = {}
    for result in results:
        incident = incidents.get(result.entity_id)
        if incident is None:
            continue
        review = getattr(incident, "data_loss_review", None)
        values[result.entity_id] = _incident_columns(
            incident, result, disclosures.get(review.pk, []) if review else [], field_name
        )
    return values


def incidents_changed_since(*, organization: Organization, since: datetime) -> set[int]:
    """The incidents the incident checks may see differently since a sync that started at
    `since`.

    What the checks read of an incident is its own row: status, resolved_at and the last
    status change, urgency, priority, creation time, the resolution note (from the log
    entries), the custom fields; its connection and service (the scope); its number and title.
    Every sync step that changes a row sets its `synced_at` to the start of its run. A priority
    renamed changes the SLA wording of its incidents; an incident that is gone (purged) has its
    results retired. Three queries, four when a priority changed.
    """
    changed = set(
        RemoteIncident.objects.filter(organization=organization, synced_at__gte=since).values_list(
            "pk", flat=True
        )
    )
    renamed = RemotePriority.objects.filter(organization=organization, synced_at__gte=since)
    if renamed.exists():
        changed.update(
            RemoteIncident.objects.filter(
                organization=organization, priority__in=renamed.values("pk")
            ).values_list("pk", flat=True)
        )
    return changed | entities_gone(
        organization_id=organization.pk, entity_type=INCIDENT, existing=RemoteIncident.objects.all()
    )


def incident_title(result: CheckResult) -> str:
    number = (result.entity_extra or {}).get("number")
    return f"#{number} {result.entity_label}" if number is not None else result.entity_label


INCIDENT_KIND = EntityKind(
    code=INCIDENT,
    label="Incident",
    detail_url=incident_url,
    evidence_columns=EVIDENCE_COLUMNS,
    evidence_values=incident_evidence_values,
    evidence_in_range=incidents_reported_in,
    title_of=incident_title,
    changed_entity_ids=incidents_changed_since,
)
