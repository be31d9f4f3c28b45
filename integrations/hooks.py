"""What other apps want done after a sync or a revocation, without integrations importing them.

Domain apps register a task path in their AppConfig.ready(); after every sync run, whatever its
outcome, the sync run enqueues each registered task with the organisation's id and the run's id.
They also register listeners called with the organisation's id once a connection's revocation
(with or without its synced data) has committed: what applies to the organisation changed.
"""

from collections.abc import Callable

from sprintolike.hooks import OrganizationEvent
from sprintolike.tasks import enqueue as enqueue_task

_AFTER_SYNC_TASKS: list[str] = []


def register_after_sync_task(task_path: str) -> None:
    """Register a django-q2 task (dotted path) to run after each sync: task(organization_id, sync_run_id)."""
    if task_path not in _AFTER_SYNC_TASKS:
        _AFTER_SYNC_TASKS.append(task_path)


def after_sync_tasks() -> tuple[str, ...]:
    return tuple(_AFTER_SYNC_TASKS)


def enqueue_after_sync(
    *, organization_id: int, sync_run_id: int, enqueue: Callable[..., object] | None = None
) -> None:
    """Enqueue every registered after-sync task; `enqueue` defaults to django-q2's async_task."""
    for task_path in after_sync_tasks():
        enqueue_task(
            task_path,
            organization_id,
            sync_run_id,
            enqueue=enqueue,
            task_name=f"after-sync:{task_path}",
        )


_connection_revoked = OrganizationEvent()
# ``listener(organization_id)``, called after a revocation commits.
register_connection_revoked_listener = _connection_revoked.register


def connection_revoked(*, organization_id: int) -> None:
    """Tell every listener, after the current transaction commits, that a connection of the
    organisation was revoked (its data kept or deleted)."""
    _connection_revoked.notify(organization_id=organization_id)
