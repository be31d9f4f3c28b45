"""Several PagerDuty requests in flight for one client, results handed back in order.

PagerDuty answers in 100-300 ms and allows 960 requests a minute (16 a second) per account: one
request at a time reaches 3-10 a second. ``RequestPool`` runs up to ``max_in_flight`` requests
in worker threads (each still asks the shared per-account budget first, in the client), and
``ordered_results`` hands their results back in submission order, keeping at most ``ahead``
submitted but not yet consumed, so memory stays bounded whatever the listing's size.

Only HTTP runs in the workers: callers write what they receive on their own thread (Django's
database connections are per thread). A worker may still touch the database through the
request budget or an OAuth refresh; ``on_thread_exit`` (``connections.close_all`` in the app)
closes what it opened when the pool shuts down.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any, TypeVar

Result = TypeVar("Result")

# 960 requests a minute is 16 a second; at 300 ms a request 5 in flight reach it, and a few
# more cover the time the caller spends writing each page.
DEFAULT_MAX_IN_FLIGHT = 8


class RequestPool:
    """A bounded set of daemon worker threads, started on first use, gone when idle."""

    def __init__(
        self,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        *,
        on_thread_exit: Callable[[], None] | None = None,
        name: str = "pagerduty-request",
        idle_seconds: float = 30.0,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        self.max_in_flight = max_in_flight
        self._on_thread_exit = on_thread_exit
        self._name = name
        self._idle_seconds = idle_seconds
        self._tasks: queue.SimpleQueue[tuple[Future, Callable[[], Any]] | None] = (
            queue.SimpleQueue()
        )
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, function: Callable[..., Result], *args: Any, **kwargs: Any) -> Future:
        """Run ``function(*args, **kwargs)`` on a worker; its Future carries result or error."""
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("The request pool is closed.")
            if len(self._threads) < self.max_in_flight:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._tasks.put((future, lambda: function(*args, **kwargs)))
        return future

    def close(self) -> None:
        """Stop the workers after the tasks already submitted; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._tasks.put(None)
        for thread in threads:
            thread.join()

    def _work(self) -> None:
        try:
            while True:
                try:
                    task = self._tasks.get(timeout=self._idle_seconds)
                except queue.Empty:
                    # Idle: a pool nobody closed (a client dropped mid-listing) never leaks.
                    with self._lock:
                        if self._tasks.empty():
                            self._threads.remove(threading.current_thread())
                            return
                    continue
                if task is None:
                    return
                future, call = task
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = call()
                except BaseException as error:  # noqa: BLE001 - handed to the consumer
                    future.set_exception(error)
                else:
                    future.set_result(result)
        finally:
            if self._on_thread_exit is not None:
                self._on_thread_exit()


def ordered_results(
    pool: RequestPool | None, calls: Iterable[Callable[[], Result]], *, ahead: int
) -> Iterator[Result]:
    """Yield each call's result in the order of ``calls``, up to ``ahead`` running early.

    Without a pool the calls run one after the other on the caller's thread. An error is
    raised where its result would have been yielded; closing the iterator early cancels the
    calls not yet started.
    """
    if pool is None:
        for call in calls:
            yield call()
        return
    pending: deque[Future] = deque()
    iterator = iter(calls)
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < max(ahead, 1):
                try:
                    call = next(iterator)
                except StopIteration:
                    exhausted = True
                    break
                pending.append(pool.submit(call))
            if not pending:
                return
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
