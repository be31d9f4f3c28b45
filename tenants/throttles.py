"""Rate limits on actions that send email on a user's behalf, kept in the shared cache.

A sliding window per (scope, key): the cache holds the times of the recent hits. Check every
limit first, then record the hit in each, so a refused action counts against none of them.
Two requests at the same instant may both pass the check; the limit is a brake on abuse, not
an exact quota.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache


@dataclass(frozen=True)
class Throttle:
    scope: str
    key: str
    limit: int
    period: timedelta

    @property
    def cache_key(self) -> str:
        digest = hashlib.sha256(self.key.encode()).hexdigest()
        return f"throttle:{self.scope}:{digest}"

    def _recent_hits(self, now: float) -> list[float]:
        since = now - self.period.total_seconds()
        return [hit for hit in cache.get(self.cache_key, []) if hit > since]

    def is_exceeded(self) -> bool:
        return len(self._recent_hits(time.time())) >= self.limit

    def record(self) -> None:
        now = time.time()
        hits = [*self._recent_hits(now), now]
        cache.set(self.cache_key, hits, timeout=int(self.period.total_seconds()) + 1)


def throttles_first_exceeded(throttles: list[Throttle]) -> Throttle | None:
    return next((throttle for throttle in throttles if throttle.is_exceeded()), None)


def throttles_record(throttles: list[Throttle]) -> None:
    for throttle in throttles:
        throttle.record()
