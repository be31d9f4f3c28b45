"""Faults a PagerDuty client must survive, injected on purpose: latency, 500s from PagerDuty,
502/503 pages from its load balancer, truncated JSON, and 429s without headers or body.

Rolls come from one seeded stream, so a run with the same seed meets the same faults in the
same order (as far as thread scheduling allows).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

from pagerduty_standin.api.protocol import (
    INTERNAL_ERROR,
    Response,
    error_response,
    html_response,
)


@dataclass
class FaultRolls:
    """The dice for one request: whether it fails, is cut short, and how it fails."""

    error: float
    malformed: float
    status: float


class FaultInjector:
    def __init__(self, seed: int) -> None:
        self._random = random.Random(f"{seed}:faults")
        self._lock = threading.Lock()

    def roll(self) -> FaultRolls:
        with self._lock:
            return FaultRolls(self._random.random(), self._random.random(), self._random.random())

    def roll_one(self) -> float:
        with self._lock:
            return self._random.random()


def add_latency(latency_ms: int) -> None:
    """Real PagerDuty answers in 100-300 ms; benchmarks set this to see wall time honestly."""
    if latency_ms > 0:
        time.sleep(latency_ms / 1000)


def injected_server_error(roll: float) -> Response:
    """A 500 with PagerDuty's JSON body, or a 502/503 HTML page from the load balancer."""
    if roll < 0.4:
        return error_response(INTERNAL_ERROR)
    status, reason = (502, "Bad Gateway") if roll < 0.7 else (503, "Service Unavailable")
    return html_response(f"<html><body><h1>{status} {reason}</h1></body></html>", status)


def truncated(response: Response) -> Response:
    """A 200 whose JSON body stops halfway, as a dropped connection leaves it."""
    response.body = response.body[: max(1, len(response.body) // 2)]
    return response


def headerless_rate_limit_response() -> Response:
    """PagerDuty docs: some 429s come without the `ratelimit-*` headers and without a body."""
    return Response(429, b"", content_type=None)
