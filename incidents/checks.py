"""Incident-management checks: every incident from an incident source, one outcome each.

Both checks stream the incidents in scope with `values_list(...).iterator()`: one query per
check whatever the number of incidents, and memory bounded by the chunk size. They are
registered with the engine in `IncidentsConfig.ready()`.
"""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from checks.base import Applicability, Check, EntityOutcome, EvaluationContext
from checks.models import CheckStatus
from incidents.models import DataLossAnswer, Disclosure
from incidents.rules import DataLossFlag, data_loss_flags, data_loss_missing, sla_rule, sla_state
from incidents.scope import IncidentScope, incident_scope_get
from integrations.models import ConnectionStatus, IncidentStatus, Purpose

INCIDENT = "incident"  # the entity kind (see `incidents.entity`)
STREAM_CHUNK_SIZE = 2000
LABEL_MAX_LENGTH = 300
DETAIL_MAX_LENGTH = 500


def incident_checks_apply(context: EvaluationContext) -> Applicability:
    """Incident checks apply once a connection serves incident management; otherwise the hint
    says what is actually missing."""
    if context.connections_for(Purpose.INCIDENT_MANAGEMENT):
        return True, ""
    if not context.connections:
        return False, "Connect PagerDuty for incident management in Settings > Integrations."
    if all(connection.status == ConnectionStatus.REVOKED for connection in context.connections):
        kept = [connection for connection in context.connections if connection.keeps_revoked_data]
        if kept:
            when = f" on {kept[0].revoked_at:%Y-%m-%d}" if kept[0].revoked_at else ""
            return False, (
                f"The connection to {kept[0].subdomain} was revoked{when}; its incidents are "
                "kept for browsing but no longer checked. Connect PagerDuty again in "
                "Settings > Integrations to resume."
            )
        return False, (
            "The PagerDuty connection was revoked; connect PagerDuty again for incident "
            "management in Settings > Integrations."
        )
    return False, (
        "PagerDuty is connected without incident management; turn it on for the connection "
        "in Settings > Integrations."
    )


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


def _outcome(row: Any, **fields: Any) -> EntityOutcome:
    return EntityOutcome(
        entity_id=row.pk,
        external_id=row.external_id,
        label=row.title[:LABEL_MAX_LENGTH],
        extra={"number": row.number},
        **fields,
    )


def evaluate_incident_closed_within_sla(context: EvaluationContext) -> Iterator[EntityOutcome]:
    """Due while open within the SLA, failing once open past it, passing when resolved (see
    `incidents.rules.SlaState`)."""
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
        state = sla_state(
            rule=sla_rule(
                policy=scope.policy,
                priority_sla=scope.priority_sla,
                urgency=row.urgency,
                priority_id=row.priority_id,
            ),
            created_at=row.created_at_remote,
            status=row.status,
            resolved_at=row.resolved_at,
            last_status_change_at=row.last_status_change_at,
            now=context.now,
        )
        yield _outcome(
            row, status=state.check_status, deadline=state.deadline, detail=state.check_detail
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
        "data_loss_review__id",
        "data_loss_review__data_loss",
        "data_loss_review__data_kinds",
        "data_loss_review__other_data_description",
        "data_loss_review__records_affected",
        "data_loss_review__stakeholders",
    )
    for row in _incident_rows(context, *incident_fields, *review_fields):
        answer = row.data_loss_review__data_loss or DataLossAnswer.NOT_ANSWERED
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
                data_kinds=row.data_loss_review__data_kinds or [],
                other_data_description=row.data_loss_review__other_data_description or "",
                records_affected=row.data_loss_review__records_affected,
                stakeholders=row.data_loss_review__stakeholders or [],
                completed_stakeholders=completed.get(row.data_loss_review__id, set()),
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
        yield _outcome(row, status=check_status, detail=detail[:DETAIL_MAX_LENGTH])


INCIDENT_CLOSED_WITHIN_SLA = Check(
    code="incident_closed_within_sla",
    title="Reported incident should be closed in PagerDuty",
    system="PagerDuty",
    category="Incident management",
    entity_type=INCIDENT,
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
    applies=incident_checks_apply,
    evaluate=evaluate_incident_closed_within_sla,
)

INCIDENT_DATA_LOSS_RECORDED = Check(
    code="incident_data_loss_recorded",
    title="Data loss information should be added for the reported incident",
    system="PagerDuty",
    category="Incident management",
    entity_type=INCIDENT,
    description=(
        "An incident is flagged for data loss when its resolution note says “data loss” or "
        "“dataloss”, when the configured PagerDuty custom field says so, or by hand. A flagged "
        "incident fails until someone records whether data was lost and, if it was, the kinds "
        "of data, the records affected and every required disclosure. An incident nobody "
        "flagged and nobody answered passes: “not answered” counts as passing until it is "
        "flagged."
    ),
    how_to_fix=(
        "Open the incident and fill in the data-loss form: answer whether data was lost; if it "
        "was, the kinds of data, how many records, who must be told, and mark each disclosure "
        "done with its date and evidence."
    ),
    applies=incident_checks_apply,
    evaluate=evaluate_incident_data_loss_recorded,
    note=(
        "“Not answered” incidents count as passing until they are flagged for data loss; a "
        "flagged incident fails until answered."
    ),
)

INCIDENT_CHECKS = (INCIDENT_CLOSED_WITHIN_SLA, INCIDENT_DATA_LOSS_RECORDED)
