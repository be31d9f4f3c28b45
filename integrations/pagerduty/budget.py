"""A per-PagerDuty-account request budget shared by every worker process and machine.

Many tenants × one PagerDuty rate limit: PagerDuty allows 960 REST requests per minute per app
per account (per user for user tokens), and every sync worker for that account draws from the
same allowance. Each HTTP attempt first calls ``acquire(account_key)``, which blocks until the
current short window still has room. The default of 900 leaves headroom under 960 for clock skew
between machines and for requests made outside this app with the same credentials.

The minute is cut into short windows (one second, holding 1/60 of the allowance: 15 requests
at 900 a minute; below 60 a minute, one request per 60/N seconds). With several requests in
flight, a 60-second window would let a whole minute's allowance out in its first seconds; that
burst, straddling PagerDuty's own window, could reach twice its limit. Short windows keep any
60 seconds at most one short window's allowance above the budget (915 at 900), whatever the
alignment of PagerDuty's counting.

The budget only paces us; PagerDuty's own 429 answers (handled by the client) remain the
backstop, so a budget backend that is unreachable lets requests through with a warning rather
than stopping every sync.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import redis
    from django.db.models import QuerySet

    from integrations.models import RequestBudgetWindow

logger = logging.getLogger(__name__)

DEFAULT_REQUESTS_PER_MINUTE = 900
WINDOW_SECONDS = 60
# Sleep a hair past the window boundary so the next try lands in the new window.
WINDOW_BOUNDARY_MARGIN_SECONDS = 0.01
REDIS_KEY_TTL_SECONDS = 120
# After a Redis failure, skip Redis this long instead of paying a connect timeout per request.
REDIS_RETRY_AFTER_FAILURE_SECONDS = 30.0
DATABASE_WINDOW_RETENTION = timedelta(minutes=10)


class RequestBudget(Protocol):
    """Blocks until one more PagerDuty request may be made for an account."""

    def acquire(self, account_key: str) -> None:
        """Return once a request for ``account_key`` fits in the current 60-second window."""
        ...


class _Pace:
    """How many requests one short window allows, and how long that window is."""

    def __init__(self, requests_per_minute: int) -> None:
        if requests_per_minute < 1:
            raise ValueError("requests_per_minute must be at least 1")
        if requests_per_minute >= WINDOW_SECONDS:
            self.window_seconds = 1.0
            self.requests_per_window = requests_per_minute // WINDOW_SECONDS
        else:
            self.window_seconds = WINDOW_SECONDS / requests_per_minute
            self.requests_per_window = 1

    def window_index(self, now_seconds: float) -> int:
        return int(now_seconds // self.window_seconds)

    def seconds_until_window_end(self, now_seconds: float) -> float:
        window_end_seconds = (self.window_index(now_seconds) + 1) * self.window_seconds
        return max(window_end_seconds - now_seconds, 0.0) + WINDOW_BOUNDARY_MARGIN_SECONDS

    def window_start(self, now_seconds: float) -> float:
        return self.window_index(now_seconds) * self.window_seconds


class InMemoryBudget:
    """A budget for one process (tests, scripts): counts per account per fixed window."""

    def __init__(
        self,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self._pace = _Pace(requests_per_minute)
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def acquire(self, account_key: str) -> None:
        """Count the request in the current window, sleeping until the next one when full."""
        while True:
            now_seconds = self._clock()
            window = self._pace.window_index(now_seconds)
            with self._lock:
                count = self._counts.get((account_key, window), 0)
                if count < self._pace.requests_per_window:
                    self._counts[(account_key, window)] = count + 1
                    self._forget_old_windows(window)
                    return
            self._sleep(self._pace.seconds_until_window_end(now_seconds))

    def _forget_old_windows(self, current_window: int) -> None:
        stale_keys = [key for key in self._counts if key[1] < current_window - 1]
        for key in stale_keys:
            del self._counts[key]


class RedisBudget:
    """A budget shared through Redis: ``INCR pagerduty-budget:{account_key}:{window}``.

    INCR is atomic, so concurrent processes on any machine each get a distinct count; the key
    expires after 120 s so old windows clean themselves up (``window`` numbers short windows,
    see the module docstring). A count over the limit means "this
    window is full": sleep until it ends and try the next window.
    """

    def __init__(
        self,
        redis_url: str,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        key_prefix: str = "pagerduty-budget",
        redis_client: redis.Redis | None = None,
    ) -> None:
        import redis as redis_module

        self.requests_per_minute = requests_per_minute
        self._pace = _Pace(requests_per_minute)
        self._sleep = sleep
        self._clock = clock
        self._key_prefix = key_prefix
        self._skip_redis_until_seconds = 0.0
        self._redis = redis_client or redis_module.Redis.from_url(
            redis_url, socket_connect_timeout=2, socket_timeout=2
        )

    def window_key(self, account_key: str, window: int) -> str:
        """The Redis key counting one account's requests in one window."""
        return f"{self._key_prefix}:{account_key}:{window}"

    def acquire(self, account_key: str) -> None:
        """INCR this window's counter; when over the limit, sleep until the window ends."""
        import redis as redis_module

        while True:
            now_seconds = self._clock()
            if now_seconds < self._skip_redis_until_seconds:
                return
            key = self.window_key(account_key, self._pace.window_index(now_seconds))
            try:
                pipeline = self._redis.pipeline(transaction=True)
                pipeline.incr(key)
                pipeline.expire(key, REDIS_KEY_TTL_SECONDS)
                count, _ = pipeline.execute()
            except redis_module.RedisError:
                logger.warning(
                    "PagerDuty request budget unavailable (Redis error); proceeding without it "
                    "for %.0f s",
                    REDIS_RETRY_AFTER_FAILURE_SECONDS,
                )
                self._skip_redis_until_seconds = now_seconds + REDIS_RETRY_AFTER_FAILURE_SECONDS
                return
            if int(count) <= self._pace.requests_per_window:
                return
            self._sleep(self._pace.seconds_until_window_end(now_seconds))


class DatabaseBudget:
    """A budget kept in the database (``integrations.models.RequestBudgetWindow``).

    Used when there is no Redis. One row per account per window; a conditional UPDATE
    (``request_count = request_count + 1 WHERE request_count < limit``) is atomic on PostgreSQL
    (row lock, re-checked after waiting) and on SQLite (database write lock), so concurrent
    processes never push a window past the limit. The first request of a window INSERTs the row;
    a concurrent INSERT loses on the unique constraint and retries the UPDATE.

    Call it outside long transactions (or give it its own ``database_alias``): an increment made
    inside an open transaction holds the row lock, and stays invisible to other workers, until
    that transaction commits.
    """

    def __init__(
        self,
        requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        database_alias: str = "default",
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self._pace = _Pace(requests_per_minute)
        self._sleep = sleep
        self._clock = clock
        self._database_alias = database_alias

    def acquire(self, account_key: str) -> None:
        """Take one request from this window's row, sleeping until the next window when full."""
        while True:
            now_seconds = self._clock()
            window_start = datetime.fromtimestamp(self._pace.window_start(now_seconds), tz=UTC)
            if self._try_take(account_key, window_start):
                return
            self._sleep(self._pace.seconds_until_window_end(now_seconds))

    def _try_take(self, account_key: str, window_start: datetime) -> bool:
        from django.db import IntegrityError, transaction

        if self._increment_if_room(account_key, window_start):
            return True
        try:
            with transaction.atomic(using=self._database_alias):
                self._windows().create(
                    account_key=account_key, window_start=window_start, request_count=1
                )
        except IntegrityError:
            # The row exists: another process created it just now, or the window is full.
            return self._increment_if_room(account_key, window_start)
        self._delete_old_windows(window_start)
        return True

    def _increment_if_room(self, account_key: str, window_start: datetime) -> bool:
        from django.db.models import F

        updated_rows = (
            self._windows()
            .filter(
                account_key=account_key,
                window_start=window_start,
                request_count__lt=self._pace.requests_per_window,
            )
            .update(request_count=F("request_count") + 1)
        )
        return updated_rows > 0

    def _delete_old_windows(self, window_start: datetime) -> None:
        """Runs once per account per window (when its row is created): cheap and frequent enough."""
        self._windows().filter(window_start__lt=window_start - DATABASE_WINDOW_RETENTION).delete()

    def _windows(self) -> QuerySet[RequestBudgetWindow]:
        from integrations.models import RequestBudgetWindow

        return RequestBudgetWindow.objects.using(self._database_alias)


def budget_from_settings() -> RequestBudget:
    """The deployment's shared budget: Redis when ``REDIS_URL`` is set, else the database.

    Reads ``PAGERDUTY_REQUESTS_PER_MINUTE`` (default 900, under PagerDuty's 960).
    """
    from django.conf import settings

    requests_per_minute = int(
        getattr(settings, "PAGERDUTY_REQUESTS_PER_MINUTE", DEFAULT_REQUESTS_PER_MINUTE)
    )
    redis_url = getattr(settings, "REDIS_URL", "") or ""
    if redis_url:
        return RedisBudget(redis_url, requests_per_minute=requests_per_minute)
    return DatabaseBudget(requests_per_minute=requests_per_minute)
