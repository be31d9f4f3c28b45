"""Enqueueing django-q2 tasks: one helper, so callers and tests can swap the queue."""

from collections.abc import Callable
from typing import Any

Enqueue = Callable[..., object]


def enqueue(task_path: str, *args: Any, enqueue: Enqueue | None = None, **kwargs: Any) -> None:
    """Queue ``task_path(*args)``; ``enqueue`` defaults to django-q2's ``async_task``.

    Tests pass a list's ``append``-like callable to see what would run without a worker.
    """
    if enqueue is None:
        from django_q.tasks import async_task as enqueue
    enqueue(task_path, *args, **kwargs)
