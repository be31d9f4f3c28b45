"""Whether an organisation's stored check results are still current, so a scheduled
evaluation can skip it: evaluation work proportional to what changed.

Stored results stay current until one of these happens, and each is noticed cheaply:

* something the checks read changed: a sync run (until its after-sync evaluation, below), or
  a domain app's service that re-evaluates
  the organisation (``organization_evaluation_enqueue``) bumps ``inputs_version`` through
  ``evaluation_inputs_changed``; a narrow re-evaluation of a few entities (a review, a
  special case) writes their results at once and needs no full run;
* the registered checks or the organisation's connections changed (the ``signature``);
* a due entity's deadline passed (``next_deadline_at``), since a check turns it failing then;
* a new day began: special cases expire by date, and Monitoring keeps one trend point a day;
  this also bounds how stale anything the engine was not told about can get.

An unchanged organisation then costs two queries for all of its checks (its connections and
this state row).

After a sync the organisation is evaluated at once: in full when its results were not current
before it, else only what the sync changed (``evaluation.organization_evaluate_after_sync``:
each entity kind says which of its entities a sync changed since the run started, by the
synced rows' ``synced_at``), after which the state is current again.
"""

import enum
import hashlib
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Min, OuterRef, QuerySet, Value
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from checks.base import EvaluationContext
from checks.models import CheckResult, CheckStatus, EvaluationState
from checks.registry import check_list


def evaluation_signature(context: EvaluationContext) -> str:
    """The registered checks and the organisation's connections (what applies depends on)."""
    parts = [check.code for check in check_list()]
    parts.extend(
        f"{connection.pk}:{connection.status}:{','.join(sorted(connection.purposes or []))}"
        for connection in sorted(context.connections, key=lambda connection: connection.pk)
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def evaluation_state_get(*, organization_id: int) -> EvaluationState | None:
    return EvaluationState.objects.filter(organization_id=organization_id).first()


class Freshness(enum.Enum):
    CURRENT = "current"  # a full evaluation now would find what is stored
    DEADLINES_PASSED = "deadlines_passed"  # only entities whose deadline passed can differ
    STALE = "stale"  # evaluate everything


def results_freshness(*, state: EvaluationState | None, signature: str, now: datetime) -> Freshness:
    """How much of the stored results a scheduled evaluation at ``now`` must redo."""
    if state is None or state.evaluated_at is None or state.evaluated_version is None:
        return Freshness.STALE
    if not (
        state.evaluated_version == state.inputs_version
        and state.signature == signature
        and state.evaluated_at <= now
        and timezone.localdate(state.evaluated_at) == timezone.localdate(now)
    ):
        return Freshness.STALE
    if state.next_deadline_at is not None and state.next_deadline_at <= now:
        return Freshness.DEADLINES_PASSED
    return Freshness.CURRENT


def entities_past_deadline(*, organization_id: int, now: datetime) -> dict[str, set[int]]:
    """Entities (by kind) stored as due whose deadline has passed: the only ones a check may
    now see differently when nothing else changed."""
    entities: dict[str, set[int]] = {}
    for entity_type, entity_id in (
        CheckResult.objects.filter(
            organization_id=organization_id, status=CheckStatus.DUE, deadline__lte=now
        )
        .values_list("entity_type", "entity_id")
        .distinct()
    ):
        entities.setdefault(entity_type, set()).add(entity_id)
    return entities


def entities_gone(*, organization_id: int, entity_type: str, existing: QuerySet) -> set[int]:
    """Entities of `entity_type` whose stored results still count (not "not applicable", or
    holding a special case) though their row is no longer among `existing` (deleted): a kind's
    `changed_entity_ids` includes them so their results are retired. One anti-join."""
    return set(
        CheckResult.objects.filter(organization_id=organization_id, entity_type=entity_type)
        .exclude(status=CheckStatus.NOT_APPLICABLE, special_case__isnull=True)
        .exclude(Exists(existing.filter(pk=OuterRef("entity_id"))))
        .values_list("entity_id", flat=True)
        .distinct()
    )


def evaluation_state_record(
    *,
    organization_id: int,
    started_from_version: int,
    signature: str,
    now: datetime,
    evaluated_at: datetime | None = None,
) -> None:
    """After a full evaluation: remember what it saw (one aggregate, one upsert).

    The version is the one read *before* evaluating, so inputs that changed meanwhile make the
    next scheduled run evaluate again.
    """
    next_deadline_at = CheckResult.objects.filter(
        organization_id=organization_id, status=CheckStatus.DUE, deadline__gt=now
    ).aggregate(next_deadline=Min("deadline"))["next_deadline"]
    values = {
        "evaluated_version": started_from_version,
        "evaluated_at": evaluated_at or now,
        "signature": signature,
        "next_deadline_at": next_deadline_at,
    }
    if EvaluationState.objects.filter(organization_id=organization_id).update(**values):
        return
    try:
        with transaction.atomic():
            EvaluationState.objects.create(
                organization_id=organization_id, inputs_version=started_from_version, **values
            )
    except IntegrityError:  # another evaluation created it just now
        EvaluationState.objects.filter(organization_id=organization_id).update(**values)


def evaluation_deadline_lower(
    *, organization_id: int, entity_ids: frozenset[int], now: datetime
) -> None:
    """After re-evaluating a few entities: one of them may now be due sooner than the
    organisation's next deadline."""
    deadline = CheckResult.objects.filter(
        organization_id=organization_id,
        entity_id__in=entity_ids,
        status=CheckStatus.DUE,
        deadline__gt=now,
    ).aggregate(next_deadline=Min("deadline"))["next_deadline"]
    if deadline is None:
        return
    EvaluationState.objects.filter(organization_id=organization_id).update(
        next_deadline_at=Least(Coalesce("next_deadline_at", Value(deadline)), Value(deadline))
    )


def evaluation_inputs_changed(*, organization_id: int) -> None:
    """Something the organisation's checks read changed: its next evaluation runs in full.

    No state row means it was never evaluated in full, which already forces one.
    """
    EvaluationState.objects.filter(organization_id=organization_id).update(
        inputs_version=F("inputs_version") + 1
    )
