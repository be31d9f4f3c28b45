"""Incident-management checks: every incident from an incident source, one outcome each.

Both checks stream the incidents in scope with `values_list(...).iterator()`: one query per
check whatever the number of incidents, and memory bounded by the chunk size.
"""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from checks.definitions.base import Check, EntityOutcome, EvaluationContext
from checks.incident_rules import (
    DataLossFlag,
    data_loss_flags,
    data_loss_missing,
    format_duration,
    sla_rule,
)
from checks.models import CheckStatus, DataLossAnswer, Disclosure, EntityType
from checks.selectors import IncidentScope, incident_scope_get
from integrations.models import IncidentStatus, Purpose

STREAM_CHUNK_SIZE = 2000
LABEL_MAX_LENGTH = 300


def _scope(context: EvaluationContext) -> IncidentScope:
    return context.cached(
        "incident_scope",
        lambda: incident_scope_get(
            organization=context.organization,
            connections=context.connections_for(Purpose.INCIDENT_MANAGEMENT),
        ),
    )


def _incident_rows(context: EvaluationContext, *fields: str) -> Iterator[Any]:
    """Named rows of the incidents in scope, by ascending primary key."""
    queryset = _scope(context).incidents(organization=context.organization)
    if context.entity_ids is not None:
        queryset = queryset.filter(pk__in=context.entity_ids)
    return (
        queryset.order_by("pk")
        .values_list("pk", "external_id", "number", "title", *fields, named=True)
        .iterator(chunk_size=STREAM_CHUNK_SIZE)
    )


def evaluate_incident_closed_within_sla(context: EvaluationContext) -> Iterator[EntityOutcome]:
    """Due while open within the SLA, failing once open past it, passing when resolved.

    PagerDuty's `resolved_at` is null while an incident is open; a resolved incident without it
    (older data) falls back to `last_status_change_at`, the moment it was resolved.
    """
    scope = _scope(context)
    fields = (
        "status",
        "urgency",
        "priority_id",
        "created_at_remote",
        "resolved_at",
        "last_status_change_at",
    )
    for row in _incident_rows(context, *fields):
        rule = sla_rule(
            policy=scope.policy,
            priority_sla=scope.priority_sla,
            urgency=row.urgency,
            priority_id=row.priority_id,
        )
        deadline = row.created_at_remote + rule.duration
        if row.status == IncidentStatus.RESOLVED:
            resolved_at = row.resolved_at or row.last_status_change_at
            check_status = CheckStatus.PASSING
            if resolved_at is None:
                detail = f"Resolved; SLA {rule.hours} h ({rule.basis})"
            elif resolved_at > deadline:
                late = format_duration(resolved_at - deadline)
                detail = f"Resolved {late} late; SLA {rule.hours} h ({rule.basis})"
            else:
                detail = f"Resolved within its SLA of {rule.hours} h ({rule.basis})"
        elif context.now < deadline:
            check_status = CheckStatus.DUE
            detail = f"Open; to be closed within {rule.hours} h ({rule.basis})"
        else:
            check_status = CheckStatus.FAILING
            detail = f"Open past its SLA of {rule.hours} h ({rule.basis})"
        yield EntityOutcome(
            entity_id=row.pk,
            status=check_status,
            external_id=row.external_id,
            number=row.number,
            label=row.title[:LABEL_MAX_LENGTH],
            deadline=deadline,
            detail=detail,
        )


def _completed_disclosures(context: EvaluationContext) -> dict[int, set[str]]:
    completed: dict[int, set[str]] = defaultdict(set)
    rows = Disclosure.objects.filter(
        organization=context.organization,
        done=True,
        disclosed_on__isnull=False,
        review__data_loss=DataLossAnswer.YES,
    ).values_list("review_id", "stakeholder")
    for review_id, stakeholder in rows:
        completed[review_id].add(stakeholder)
    return completed


def evaluate_incident_data_loss_recorded(context: EvaluationContext) -> Iterator[EntityOutcome]:
    """Failing for every incident flagged for data loss (by its resolution note, the custom
    field, or by hand) until the details and every required disclosure are recorded.

    Resolved incidents nobody answered are passing but said to be "to review", so the incident
    list can offer them for a quick yes/no.
    """
    scope = _scope(context)
    field_name = scope.policy.data_loss_field_name
    completed = _completed_disclosures(context)
    incident_fields = ("status", "resolution_note", "custom_fields", "data_loss_field")
    review_fields = (
        "review__id",
        "review__data_loss",
        "review__data_kinds",
        "review__other_data_description",
        "review__records_affected",
        "review__stakeholders",
    )
    for row in _incident_rows(context, *incident_fields, *review_fields):
        answer = row.review__data_loss or DataLossAnswer.NOT_ANSWERED
        flags = data_loss_flags(
            resolution_note=row.resolution_note,
            custom_fields=row.custom_fields,
            data_loss_field=row.data_loss_field,
            field_name=field_name,
            answer=answer,
        )
        flagged_by = ", ".join(DataLossFlag(flag).label.lower() for flag in flags)
        if answer == DataLossAnswer.NO:
            check_status = CheckStatus.PASSING
            detail = "Reviewed: no data loss" + (f" (flagged by {flagged_by})" if flags else "")
        elif answer == DataLossAnswer.YES:
            missing = data_loss_missing(
                data_kinds=row.review__data_kinds or [],
                other_data_description=row.review__other_data_description or "",
                records_affected=row.review__records_affected,
                stakeholders=row.review__stakeholders or [],
                completed_stakeholders=completed.get(row.review__id, set()),
            )
            if missing:
                check_status = CheckStatus.FAILING
                detail = "Data loss: record " + ", ".join(missing)
            else:
                check_status = CheckStatus.PASSING
                detail = "Data loss recorded and disclosed"
        elif flags:
            check_status = CheckStatus.FAILING
            detail = f"Flagged for data loss by {flagged_by}: record whether data was lost"
        elif row.status == IncidentStatus.RESOLVED:
            check_status = CheckStatus.PASSING
            detail = "To review: data loss not answered"
        else:
            check_status = CheckStatus.PASSING
            detail = "No data loss flagged"
        yield EntityOutcome(
            entity_id=row.pk,
            status=check_status,
            external_id=row.external_id,
            number=row.number,
            label=row.title[:LABEL_MAX_LENGTH],
            detail=detail[:500],
        )


INCIDENT_CLOSED_WITHIN_SLA = Check(
    code="incident_closed_within_sla",
    title="Reported incident should be closed in PagerDuty",
    system="PagerDuty",
    category="Incident management",
    purpose=Purpose.INCIDENT_MANAGEMENT,
    entity_type=EntityType.INCIDENT,
    description=(
        "Every incident from an incident source is resolved within its SLA: the priority's SLA "
        "when one is set, else the urgency's. Due while open within the SLA, failing once open "
        "past it, passing when resolved (incidents resolved late are listed in the evidence)."
    ),
    how_to_fix=(
        "Resolve the incident in PagerDuty once it is handled (use “Go to PagerDuty”); the next "
        "sync picks the resolution up. If the incident is not a real incident (a test, a "
        "duplicate), mark it a special case with the reason."
    ),
    evaluate=evaluate_incident_closed_within_sla,
    not_applicable_hint="Connect PagerDuty for incident management in Settings > Integrations.",
)

INCIDENT_DATA_LOSS_RECORDED = Check(
    code="incident_data_loss_recorded",
    title="Data loss information should be added for the reported incident",
    system="PagerDuty",
    category="Incident management",
    purpose=Purpose.INCIDENT_MANAGEMENT,
    entity_type=EntityType.INCIDENT,
    description=(
        "An incident is flagged for data loss when its resolution note says “data loss” or "
        "“dataloss”, when the configured PagerDuty custom field says so, or by hand. A flagged "
        "incident fails until someone records whether data was lost and, if it was, the kinds "
        "of data, the records affected and every required disclosure."
    ),
    how_to_fix=(
        "Open the incident and fill in the data-loss form: answer whether data was lost; if it "
        "was, the kinds of data, how many records, who must be told, and mark each disclosure "
        "done with its date and evidence."
    ),
    evaluate=evaluate_incident_data_loss_recorded,
    not_applicable_hint="Connect PagerDuty for incident management in Settings > Integrations.",
)
