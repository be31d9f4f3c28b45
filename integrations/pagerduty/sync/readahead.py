"""Fetch the next pages while the current one is written: HTTP and database work overlap.

PagerDuty answers a page in tens to hundreds of milliseconds and storing it takes a few; doing
both one after the other adds them up. ``read_ahead`` consumes a page iterator in a background
thread, at most ``depth`` pages ahead, so memory stays bounded. Errors raised while fetching
(``PagerDutyUnauthorized``, ...) are re-raised, unchanged, where the caller takes the next page.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

from django.db import connections

Item = TypeVar("Item")

DEFAULT_DEPTH = 2
_POLL_SECONDS = 0.2


class _Done:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(pages: Iterable[Item], *, depth: int = DEFAULT_DEPTH) -> Iterator[Item]:
    """Yield ``pages`` in order while a thread fetches up to ``depth`` pages ahead.

    The fetching thread may touch the database (the shared request budget, an OAuth refresh)
    through its own connection, which it closes when it ends. Closing the returned iterator
    early stops the thread after the page it is fetching.
    """
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        iterator = iter(pages)
        try:
            for page in iterator:
                if not offer(page):
                    return
            offer(_Done())
        except BaseException as error:  # noqa: BLE001 - handed to the consuming thread
            offer(_Failed(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
            connections.close_all()

    thread = threading.Thread(target=fetch, name="pagerduty-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if isinstance(item, _Done):
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
