"""Background tasks (django-q2). Each is an API: fetch the ids' objects, call a service.

- after every sync: `evaluate_organization_after_sync` (registered in `ChecksConfig.ready`),
  which evaluates only what the sync changed when the stored results were current before it;
- on a schedule (`checks/schedules.py`): `evaluate_all_organizations` fans out one
  `evaluate_organization` task per organisation, so one slow or failing organisation never
  holds up the others and any number of workers share the load.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef, Q

from checks.evaluation import (
    CheckEvaluation,
    organization_evaluate,
    organization_evaluate_after_sync,
)
from checks.freshness import evaluation_inputs_changed
from checks.models import CheckSummary
from integrations.models import Connection, SyncRun
from sprintolike.tasks import enqueue as enqueue_task
from tenants.models import Organization

logger = logging.getLogger(__name__)

EVALUATE_ORGANIZATION_TASK = "checks.tasks.evaluate_organization"


def evaluate_organization(organization_id: int) -> dict[str, Any]:
    """Evaluate every check of one organisation, unless its stored results are still current
    (nothing it reads changed, no deadline passed: see `checks.freshness`); returns the
    statuses (stored by django-q2), or `{}` when skipped."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        logger.info("Organisation %s is gone; nothing to evaluate.", organization_id)
        return {}
    return _statuses(organization_evaluate(organization=organization, only_if_changed=True))


def _statuses(evaluations: list[CheckEvaluation]) -> dict[str, Any]:
    return {
        evaluation.check.code: {
            "status": evaluation.summary.status,
            "created": evaluation.created,
            "updated": evaluation.updated,
            "status_changes": evaluation.status_changes,
        }
        for evaluation in evaluations
    }


def evaluate_organization_after_sync(organization_id: int, sync_run_id: int) -> dict[str, Any]:
    """Run by the sync engine after each sync run (see `integrations.hooks`): evaluate what the
    run changed (`organization_evaluate_after_sync`). A run that cannot be found (deleted with
    its connection's data) leaves no way to tell what changed: everything is evaluated."""
    logger.info(
        "Evaluating checks of organisation %s after sync run %s", organization_id, sync_run_id
    )
    run = (
        SyncRun.objects.filter(pk=sync_run_id, organization_id=organization_id)
        .select_related("organization")
        .first()
    )
    if run is None:
        evaluation_inputs_changed(organization_id=organization_id)
        return evaluate_organization(organization_id)
    return _statuses(
        organization_evaluate_after_sync(
            organization=run.organization, changed_since=run.started_at
        )
    )


def organizations_to_evaluate() -> Any:
    """Organisations with a connection, or with results that may have to become not applicable."""
    return (
        Organization.objects.filter(
            Q(Exists(Connection.objects.filter(organization=OuterRef("pk"))))
            | Q(Exists(CheckSummary.objects.filter(organization=OuterRef("pk"))))
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def evaluate_all_organizations(enqueue: Callable[..., object] | None = None) -> int:
    """The scheduled fan-out: one task per organisation. Returns how many were enqueued."""
    count = 0
    for organization_id in organizations_to_evaluate().iterator(chunk_size=1000):
        enqueue_task(
            EVALUATE_ORGANIZATION_TASK,
            organization_id,
            enqueue=enqueue,
            task_name=f"evaluate-checks-{organization_id}",
        )
        count += 1
    return count


def organization_evaluation_enqueue(
    *, organization_id: int, enqueue: Callable[..., object] | None = None
) -> None:
    """Re-evaluate an organisation in the background (after a policy its checks read changed).

    Marks its inputs changed first, so the evaluation runs in full even if a scheduled one
    got there first."""
    evaluation_inputs_changed(organization_id=organization_id)
    enqueue_task(EVALUATE_ORGANIZATION_TASK, organization_id, enqueue=enqueue)
