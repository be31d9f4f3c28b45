"""The check engine: evaluate an organisation's checks and store what changed.

Cheap enough for thousands of organisations and for 100,000 entities in one:
- each check streams its entities (one query) and the stored results (one query), both by
  ascending entity id, and merges them in one pass, so memory is bounded by the chunk size;
- only rows whose content changed are written, in batches (`bulk_create`/`bulk_update`);
- a history row is written only when an entity's (or a check's) status changes.
An unchanged organisation costs a small constant number of queries per check; after a sync,
only the entities it changed are evaluated (`organization_evaluate_after_sync`).
"""

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from checks.base import Check, EntityOutcome, EvaluationContext
from checks.entity_kinds import entity_kind_get
from checks.freshness import (
    Freshness,
    entities_past_deadline,
    evaluation_deadline_lower,
    evaluation_inputs_changed,
    evaluation_signature,
    evaluation_state_get,
    evaluation_state_record,
    results_freshness,
)
from checks.models import (
    CheckResult,
    CheckResultChange,
    CheckStatus,
    CheckSummary,
    CheckSummaryChange,
    CheckTrendPoint,
    SpecialCase,
)
from checks.registry import check_list, checks_for_entity_type
from sprintolike.bulk import bulk_insert_rows, bulk_update_rows
from tenants.models import Organization

logger = logging.getLogger(__name__)

RESULT_STREAM_CHUNK_SIZE = 2000
# Beyond this many changed entities of one kind, streaming them all is cheaper than a long
# list of ids (and stays within every database's limit on query parameters).
AFTER_SYNC_MAX_ENTITIES = 5000
WRITE_BATCH_SIZE = 5000
RESULT_FIELDS = (
    "entity_external_id",
    "entity_label",
    "entity_extra",
    "status",
    "evaluated_status",
    "deadline",
    "detail",
    "special_case",
    "status_since",
    "updated_at",
)
STORED_FIELDS = (
    "pk",
    "entity_id",
    "entity_external_id",
    "entity_label",
    "entity_extra",
    "status",
    "evaluated_status",
    "deadline",
    "detail",
    "special_case_id",
    "status_since",
)


class EvaluationError(Exception):
    """Some checks of an organisation could not be evaluated; the others were."""


@dataclass
class CheckEvaluation:
    """What one evaluation of one check did."""

    check: Check
    summary: CheckSummary
    created: int = 0
    updated: int = 0
    status_changes: int = 0


@dataclass
class _ResultWriter:
    """Buffers the changed rows of one check and writes them in batches."""

    organization: Organization
    check: Check
    now: datetime
    special_cases: dict[int, int]  # entity id -> id of the special case that counts today
    to_create: list[dict[str, Any]] = field(default_factory=list)  # CheckResult columns
    to_update: list[CheckResult] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)  # CheckResultChange columns
    counts: Counter = field(default_factory=Counter)
    created: int = 0
    updated: int = 0
    status_changes: int = 0

    def _final(self, outcome: EntityOutcome) -> tuple[str, int | None]:
        """A special case turns a failing (or due) entity into a passing one."""
        special_case_id = self.special_cases.get(outcome.entity_id)
        if special_case_id and outcome.status in (CheckStatus.FAILING, CheckStatus.DUE):
            return CheckStatus.PASSING, special_case_id
        return outcome.status, None

    def _count(self, status: str, special_case_id: int | None) -> None:
        self.counts[status] += 1
        if special_case_id:
            self.counts["special_case"] += 1

    def _record_change(self, entity_id: int, from_status: str, to_status: str) -> None:
        self.status_changes += 1
        self.changes.append(
            {
                "organization_id": self.organization.pk,
                "check_code": self.check.code,
                "entity_type": self.check.entity_type,
                "entity_id": entity_id,
                "from_status": from_status,
                "to_status": to_status,
                "at": self.now,
            }
        )

    def create(self, outcome: EntityOutcome) -> None:
        status, special_case_id = self._final(outcome)
        self._count(status, special_case_id)
        self.to_create.append(
            {
                "organization_id": self.organization.pk,
                "check_code": self.check.code,
                "entity_type": self.check.entity_type,
                "entity_id": outcome.entity_id,
                "entity_external_id": outcome.external_id,
                "entity_label": outcome.label,
                "entity_extra": dict(outcome.extra),
                "status": status,
                "evaluated_status": outcome.status,
                "deadline": outcome.deadline,
                "detail": outcome.detail,
                "special_case_id": special_case_id,
                "status_since": self.now,
                "updated_at": self.now,
            }
        )
        self._record_change(outcome.entity_id, "", status)
        self._flush_if_full()

    def update(self, stored: Any, outcome: EntityOutcome) -> None:
        status, special_case_id = self._final(outcome)
        self._count(status, special_case_id)
        wanted = (
            outcome.external_id,
            outcome.label,
            dict(outcome.extra),
            status,
            outcome.status,
            outcome.deadline,
            outcome.detail,
            special_case_id,
        )
        current = (
            stored.entity_external_id,
            stored.entity_label,
            stored.entity_extra,
            stored.status,
            stored.evaluated_status,
            stored.deadline,
            stored.detail,
            stored.special_case_id,
        )
        if wanted == current:
            return
        status_since = stored.status_since
        if status != stored.status:
            status_since = self.now
            self._record_change(outcome.entity_id, stored.status, status)
        self.to_update.append(
            CheckResult(
                pk=stored.pk,
                entity_external_id=outcome.external_id,
                entity_label=outcome.label,
                entity_extra=dict(outcome.extra),
                status=status,
                evaluated_status=outcome.status,
                deadline=outcome.deadline,
                detail=outcome.detail,
                special_case_id=special_case_id,
                status_since=status_since,
                updated_at=self.now,
            )
        )
        self._flush_if_full()

    def retire(self, stored: Any) -> None:
        """An entity the check no longer sees (out of scope, deleted, check not applicable)."""
        if stored.status == CheckStatus.NOT_APPLICABLE and stored.special_case_id is None:
            return
        self._record_change(stored.entity_id, stored.status, CheckStatus.NOT_APPLICABLE)
        self.to_update.append(
            CheckResult(
                pk=stored.pk,
                entity_external_id=stored.entity_external_id,
                entity_label=stored.entity_label,
                entity_extra=stored.entity_extra,
                status=CheckStatus.NOT_APPLICABLE,
                evaluated_status=CheckStatus.NOT_APPLICABLE,
                deadline=stored.deadline,
                detail="No longer in scope of this check",
                special_case_id=None,
                status_since=self.now,
                updated_at=self.now,
            )
        )
        self._flush_if_full()

    def _flush_if_full(self) -> None:
        if len(self.to_create) + len(self.to_update) + len(self.changes) >= WRITE_BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.to_create:
            bulk_insert_rows(CheckResult, self.to_create)
            self.created += len(self.to_create)
            self.to_create = []
        if self.to_update:
            bulk_update_rows(
                CheckResult, self.to_update, RESULT_FIELDS, batch_size=WRITE_BATCH_SIZE
            )
            self.updated += len(self.to_update)
            self.to_update = []
        if self.changes:
            bulk_insert_rows(CheckResultChange, self.changes)
            self.changes = []


def _ascending(outcomes: Iterable[EntityOutcome]) -> Iterator[EntityOutcome]:
    previous = None
    for outcome in outcomes:
        if previous is not None and outcome.entity_id <= previous:
            raise ValueError("A check must yield its outcomes by strictly ascending entity_id.")
        previous = outcome.entity_id
        yield outcome


def overall_status(*, counts: dict[str, int], applicable: bool) -> str:
    if not applicable:
        return CheckStatus.NOT_APPLICABLE
    for status in (CheckStatus.FAILING, CheckStatus.DUE):
        if counts.get(status):
            return status
    return CheckStatus.PASSING


def _stored_counts(*, organization: Organization, check: Check) -> Counter:
    """Counts straight from the stored results (after evaluating only a few entities)."""
    aggregate = CheckResult.objects.filter(
        organization=organization, check_code=check.code
    ).aggregate(
        passing=Count("pk", filter=Q(status=CheckStatus.PASSING)),
        due=Count("pk", filter=Q(status=CheckStatus.DUE)),
        failing=Count("pk", filter=Q(status=CheckStatus.FAILING)),
        special_case=Count("pk", filter=Q(special_case__isnull=False)),
    )
    return Counter({key: value for key, value in aggregate.items() if value})


def _summary_save(
    *,
    summary: CheckSummary,
    check: Check,
    counts: Counter,
    applicable: bool,
    hint: str,
    now: datetime,
) -> bool:
    """Store the overall result; record a history row if the status changed, and today's trend
    point. Returns whether the status changed."""
    status = overall_status(counts=counts, applicable=applicable)
    previous = summary.status if summary.evaluated_at else ""
    summary.passing_count = counts.get(CheckStatus.PASSING, 0)
    summary.due_count = counts.get(CheckStatus.DUE, 0)
    summary.failing_count = counts.get(CheckStatus.FAILING, 0)
    summary.special_case_count = counts.get("special_case", 0)
    summary.detail = "" if applicable else hint[:500]
    summary.evaluated_at = now
    changed = status != previous
    if changed:
        summary.status = status
        summary.status_since = now
        CheckSummaryChange.objects.create(
            organization_id=summary.organization_id,
            check_code=check.code,
            from_status=previous,
            to_status=status,
            passing_count=summary.passing_count,
            due_count=summary.due_count,
            failing_count=summary.failing_count,
            at=now,
        )
    summary.save()
    CheckTrendPoint.objects.bulk_create(
        [
            CheckTrendPoint(
                organization_id=summary.organization_id,
                check_code=check.code,
                day=timezone.localdate(now),
                status=status,
                passing_count=summary.passing_count,
                due_count=summary.due_count,
                failing_count=summary.failing_count,
            )
        ],
        update_conflicts=True,
        unique_fields=["organization", "check_code", "day"],
        update_fields=["status", "passing_count", "due_count", "failing_count"],
    )
    return changed


def check_evaluate(*, check: Check, context: EvaluationContext) -> CheckEvaluation:
    """Evaluate one check for one organisation (or, with `context.entity_ids`, a few of its
    entities) and store the results. The summary row is locked, so two evaluations of the same
    check (after a sync and on schedule) run one after the other rather than interleaved.

    A special case counts until the day it expires: an entity whose special case expired goes
    back to what the check found at this evaluation."""
    organization = context.organization
    applicable, hint = check.applies(context)
    with transaction.atomic():
        summary, _ = CheckSummary.objects.select_for_update().get_or_create(
            organization=organization, check_code=check.code
        )
        special_cases = dict(
            SpecialCase.objects.active(on=timezone.localdate(context.now))
            .filter(organization=organization, check_code=check.code)
            .values_list("entity_id", "pk")
        )
        writer = _ResultWriter(
            organization=organization, check=check, now=context.now, special_cases=special_cases
        )
        stored_rows = CheckResult.objects.filter(
            organization=organization, check_code=check.code, entity_type=check.entity_type
        )
        if context.entity_ids is not None:
            stored_rows = stored_rows.filter(entity_id__in=context.entity_ids)
        stored_iterator = (
            stored_rows.order_by("entity_id")
            .values_list(*STORED_FIELDS, named=True)
            .iterator(chunk_size=RESULT_STREAM_CHUNK_SIZE)
        )
        outcomes = _ascending(check.evaluate(context)) if applicable else iter(())
        if context.entity_ids is not None:  # a check may ignore the narrowing; the engine won't
            outcomes = (o for o in outcomes if o.entity_id in context.entity_ids)

        stored = next(stored_iterator, None)
        for outcome in outcomes:
            while stored is not None and stored.entity_id < outcome.entity_id:
                writer.retire(stored)
                stored = next(stored_iterator, None)
            if stored is not None and stored.entity_id == outcome.entity_id:
                writer.update(stored, outcome)
                stored = next(stored_iterator, None)
            else:
                writer.create(outcome)
        while stored is not None:
            writer.retire(stored)
            stored = next(stored_iterator, None)
        writer.flush()

        counts = writer.counts
        if context.entity_ids is not None:
            counts = _stored_counts(organization=organization, check=check)
        status_changed = _summary_save(
            summary=summary,
            check=check,
            counts=counts,
            applicable=applicable,
            hint=hint,
            now=context.now,
        )
    return CheckEvaluation(
        check=check,
        summary=summary,
        created=writer.created,
        updated=writer.updated,
        status_changes=writer.status_changes + int(status_changed),
    )


def organization_evaluate(
    *,
    organization: Organization,
    now: datetime | None = None,
    checks: Iterable[Check] | None = None,
    entity_ids: Iterable[int] | None = None,
    only_if_changed: bool = False,
) -> list[CheckEvaluation]:
    """Evaluate the organisation's checks (all by default) as of `now`.

    With `only_if_changed` (the scheduled runs), an organisation whose stored results are
    still current (see `checks.freshness`) is not evaluated: the result is an empty list.
    A check that raises is logged and skipped so the others still run; `EvaluationError` is
    raised at the end so the task is recorded as failed.
    """
    context = EvaluationContext.load(
        organization=organization, now=now or timezone.now(), entity_ids=entity_ids
    )
    full = checks is None and entity_ids is None
    state = signature = None
    if full:
        state = evaluation_state_get(organization_id=organization.pk)
        signature = evaluation_signature(context)
        freshness = results_freshness(state=state, signature=signature, now=context.now)
        if only_if_changed and freshness == Freshness.CURRENT:
            return []
        if only_if_changed and freshness == Freshness.DEADLINES_PASSED:
            return _evaluate_past_deadlines(context=context, state=state, signature=signature)
    evaluations = _evaluate_each(
        organization=organization,
        work=[(check, context) for check in (checks if checks is not None else check_list())],
    )
    if full:
        evaluation_state_record(
            organization_id=organization.pk,
            started_from_version=state.inputs_version if state else 0,
            signature=signature,
            now=context.now,
        )
    elif context.entity_ids:
        evaluation_deadline_lower(
            organization_id=organization.pk, entity_ids=context.entity_ids, now=context.now
        )
    return evaluations


def _evaluate_each(
    *, organization: Organization, work: Iterable[tuple[Check, EvaluationContext]]
) -> list[CheckEvaluation]:
    """Evaluate each check in its context. A check that raises is logged and skipped so the
    others still run; `EvaluationError` is raised at the end so the task is recorded as failed."""
    evaluations: list[CheckEvaluation] = []
    failed: list[str] = []
    for check, context in work:
        try:
            evaluations.append(check_evaluate(check=check, context=context))
        except Exception:
            logger.exception(
                "Evaluating %s for organisation %s failed", check.code, organization.pk
            )
            failed.append(check.code)
    if failed:
        raise EvaluationError(f"Checks that failed for {organization.slug}: {', '.join(failed)}")
    return evaluations


def organization_evaluate_after_sync(
    *, organization: Organization, changed_since: datetime, now: datetime | None = None
) -> list[CheckEvaluation]:
    """Evaluate what a sync run that started at `changed_since` changed.

    When the stored results were current before the sync (nothing else changed since the last
    full evaluation, the same checks and connections, the same day; deadlines may have passed),
    a check whose entity kind can tell which entities the sync changed
    (`EntityKind.changed_entity_ids`) re-evaluates just those and the ones whose deadline
    passed, and is left alone when there are none; a check whose kind cannot tell (or that
    changed more than `AFTER_SYNC_MAX_ENTITIES`) is evaluated in full. The state is then recorded as current, so the next scheduled run skips the
    organisation. Otherwise everything is evaluated, as a scheduled run would.

    A sync that changed nothing a check reads costs a few reads and writes nothing. Otherwise
    the inputs are marked changed before evaluating: a run that fails half-way leaves the
    organisation stale, and the next scheduled run evaluates it in full.
    """
    context = EvaluationContext.load(organization=organization, now=now or timezone.now())
    state = evaluation_state_get(organization_id=organization.pk)
    signature = evaluation_signature(context)
    freshness = results_freshness(state=state, signature=signature, now=context.now)
    if freshness == Freshness.STALE:
        evaluation_inputs_changed(organization_id=organization.pk)
        return organization_evaluate(organization=organization, now=context.now)

    checks = check_list()
    past = (
        entities_past_deadline(organization_id=organization.pk, now=context.now)
        if freshness == Freshness.DEADLINES_PASSED
        else {}
    )
    contexts: dict[str, EvaluationContext | None] = {}
    for entity_type in dict.fromkeys(check.entity_type for check in checks):
        changed = entity_kind_get(entity_type).changed_entity_ids(
            organization=organization, since=changed_since
        )
        entity_ids = None if changed is None else changed | past.get(entity_type, set())
        if entity_ids is None or len(entity_ids) > AFTER_SYNC_MAX_ENTITIES:
            contexts[entity_type] = context
        else:
            contexts[entity_type] = context.narrowed(entity_ids) if entity_ids else None
    work = [
        (check, contexts[check.entity_type])
        for check in checks
        if contexts[check.entity_type] is not None
    ]
    if not work:  # the sync changed nothing a check reads: the results are still current
        return []
    evaluation_inputs_changed(organization_id=organization.pk)
    evaluations = _evaluate_each(organization=organization, work=work)
    evaluation_state_record(
        organization_id=organization.pk,
        started_from_version=state.inputs_version + 1,
        signature=signature,
        now=context.now,
        evaluated_at=state.evaluated_at,
    )
    return evaluations


def _evaluate_past_deadlines(
    *, context: EvaluationContext, state: Any, signature: str
) -> list[CheckEvaluation]:
    """Nothing changed but time: re-evaluate only the entities whose deadline passed (in the
    context already loaded; the state recorded after computes the next deadline)."""
    organization = context.organization
    past = entities_past_deadline(organization_id=organization.pk, now=context.now)
    evaluations = _evaluate_each(
        organization=organization,
        work=[
            (check, context.narrowed(entity_ids))
            for entity_type, entity_ids in sorted(past.items())
            for check in checks_for_entity_type(entity_type)
        ],
    )
    evaluation_state_record(
        organization_id=organization.pk,
        started_from_version=state.evaluated_version,
        signature=signature,
        now=context.now,
        evaluated_at=state.evaluated_at,
    )
    return evaluations


def entity_evaluate(
    *, organization: Organization, entity_type: str, entity_id: int, now: datetime | None = None
) -> list[CheckEvaluation]:
    """Re-evaluate one entity under every check of its type (after its review or special case
    changed), so pages show the new status at once instead of after the next sync."""
    return organization_evaluate(
        organization=organization,
        now=now,
        checks=checks_for_entity_type(entity_type),
        entity_ids=[entity_id],
    )
