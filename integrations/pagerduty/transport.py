"""One HTTP request to PagerDuty, done right: the shared budget first, a timeout, retries with
jittered backoff on transient failures, ``ratelimit-reset`` honoured (one 429 pauses every
thread of the client), OAuth refresh once for all threads, typed errors, and counting.

``PagerDutyTransport`` is the base of ``PagerDutyClient`` (``client.py``), which sets the state
these methods use in its ``__init__`` and builds listings and windows on top of ``_request``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import requests

from integrations.pagerduty.datetimes import format_pagerduty_datetime
from integrations.pagerduty.errors import (
    PagerDutyMalformedResponse,
    PagerDutyTransientError,
    error_for_response,
)

logger = logging.getLogger(__name__)

ParamValue = str | int | float | bool | datetime | Sequence[str | int] | None
Params = Mapping[str, ParamValue]

ACCEPT_HEADER = "application/vnd.pagerduty+json;version=2"
USER_AGENT = "sprintolike/1"
# A 2xx whose body is not JSON is retried this many times (a truncated body from a proxy can be
# transient; a stand-in or endpoint that always answers non-JSON is not, so we stop quickly).
MALFORMED_BODY_RETRIES = 1
TRANSIENT_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})
RATE_LIMIT_RESET_JITTER_SECONDS = 1.0
_STATIC_PATH_SEGMENT = re.compile(r"[a-z_]+")


def path_template(path: str) -> str:
    """Replace object ids in a REST path with ``{id}`` (``/incidents/PT4KHLK/notes`` →
    ``/incidents/{id}/notes``).

    PagerDuty's path words are lower-case with underscores while its ids contain capitals or
    digits, so any other segment is an id.
    """
    segments = path.split("?", 1)[0].strip("/").split("/")
    normalised = [
        segment if _STATIC_PATH_SEGMENT.fullmatch(segment) else "{id}" for segment in segments
    ]
    return "/" + "/".join(normalised)


class PagerDutyTransport:
    """Sending requests; see the module docstring."""

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one logical request, retrying transient failures.

        * 429 (PagerDuty code 2020): wait ``ratelimit-reset`` seconds plus a little jitter when
          the header is there; PagerDuty sometimes omits every rate-limit header, then back off
          exponentially with full jitter. 408 and 500/502/503/504, connection errors and
          timeouts back off the same way. After ``max_retries`` retries (so at most
          ``max_retries + 1`` attempts) raise ``PagerDutyTransientError``.
        * 401: ask the authorizer to refresh once; retry once if it got a new token.
        * A 2xx that is not JSON is retried once only, then ``PagerDutyMalformedResponse``: a
          body that keeps failing to parse is not going to fix itself.
        * The shared budget is asked before every attempt, retries included.
        """
        if not path.startswith("/"):
            raise ValueError("PagerDuty paths must start with '/'")
        url = self.base_url + path
        template = path_template(path)
        query = _encode_params(params) if params else None
        refresh_attempted = False
        failed_transient_attempts = 0
        malformed_bodies = 0
        last_failure = ""
        while True:
            self._wait_out_rate_limit_pause()
            if self._budget is not None:
                self._budget.acquire(self._budget_key)
            with self._counter_lock:
                self.request_count += 1
                self.requests_by_path[template] += 1
            authorization = self._auth.authorization_header()
            headers = {
                "Accept": ACCEPT_HEADER,
                "Authorization": authorization,
                "User-Agent": USER_AGENT,
            }
            if json_body is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = self._session().request(
                    method,
                    url,
                    params=query,
                    json=json_body,
                    headers=headers,
                    timeout=self._timeout_seconds,
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                kind = "timed out" if isinstance(error, requests.Timeout) else "could not connect"
                logger.warning("PagerDuty %s %s %s", method, template, kind)
                failed_transient_attempts += 1
                last_failure = kind
                if failed_transient_attempts > self._max_retries:
                    raise self._transient_error(method, template, last_failure) from error
                self._back_off(failed_transient_attempts, rate_limit_reset_seconds=None)
                continue

            status = response.status_code
            logger.debug("PagerDuty %s %s -> %d", method, template, status)

            if 200 <= status < 300:
                if status == 204 or not response.content:
                    return {}
                try:
                    body = response.json()
                except ValueError as error:
                    malformed_bodies += 1
                    if malformed_bodies > MALFORMED_BODY_RETRIES:
                        raise PagerDutyMalformedResponse(
                            f"PagerDuty answered {method} {template} with status {status} but "
                            "the body was not JSON. If this persists, PagerDuty or a proxy in "
                            "between is misbehaving.",
                            status_code=status,
                        ) from error
                    continue
                if not isinstance(body, dict):
                    raise PagerDutyMalformedResponse(
                        f"PagerDuty answered {method} {template} with JSON that is not an object.",
                        status_code=status,
                    )
                return body

            if status == 401 and not refresh_attempted:
                refresh_attempted = True
                if self._refresh_authorization(authorization):
                    continue

            if status in TRANSIENT_STATUS_CODES:
                failed_transient_attempts += 1
                last_failure = f"status {status}"
                if failed_transient_attempts > self._max_retries:
                    raise self._transient_error(method, template, last_failure, status_code=status)
                reset_seconds = (
                    _rate_limit_reset_seconds(response.headers) if status == 429 else None
                )
                if reset_seconds is not None:
                    self._pause_for_rate_limit(reset_seconds)
                self._back_off(failed_transient_attempts, rate_limit_reset_seconds=reset_seconds)
                continue

            raise error_for_response(response, method, template)

    def _session(self) -> requests.Session:
        """The injected session, else one per thread (requests' sessions are not thread-safe)."""
        if self._shared_session is not None:
            return self._shared_session
        session = getattr(self._thread_sessions, "session", None)
        if session is None:
            session = self._thread_sessions.session = requests.Session()
        return session

    def _refresh_authorization(self, failed_authorization: str) -> bool:
        """Refresh once for all threads: a thread whose 401 came with a token another thread
        has already replaced just retries with the new one."""
        with self._refresh_lock:
            if self._auth.authorization_header() != failed_authorization:
                return True
            return self._auth.refresh()

    def _pause_for_rate_limit(self, reset_seconds: float) -> None:
        """A 429 with ``ratelimit-reset`` holds back every thread of this client, not just the
        one that got it, so the others do not spend the reset period collecting 429s."""
        with self._counter_lock:
            self._paused_until = max(
                self._paused_until,
                self._monotonic_clock() + min(reset_seconds, self._backoff_max_seconds),
            )

    def _wait_out_rate_limit_pause(self) -> None:
        if self._pool is None:
            return  # one request at a time: the back-off after the 429 already waited
        remaining_seconds = self._paused_until - self._monotonic_clock()
        if remaining_seconds > 0:
            with self._counter_lock:
                self.slept_seconds += remaining_seconds
            self._sleep(remaining_seconds)

    def _back_off(self, failed_attempts: int, *, rate_limit_reset_seconds: float | None) -> None:
        if rate_limit_reset_seconds is not None:
            delay_seconds = min(rate_limit_reset_seconds, self._backoff_max_seconds)
            delay_seconds += self._random.uniform(0, RATE_LIMIT_RESET_JITTER_SECONDS)
        else:
            ceiling_seconds = min(
                self._backoff_max_seconds,
                self._backoff_base_seconds * (2 ** (failed_attempts - 1)),
            )
            delay_seconds = self._random.uniform(0, ceiling_seconds)
        with self._counter_lock:
            self.slept_seconds += delay_seconds
        self._sleep(delay_seconds)

    def _transient_error(
        self, method: str, template: str, last_failure: str, *, status_code: int | None = None
    ) -> PagerDutyTransientError:
        attempts = self._max_retries + 1
        if status_code == 429:
            message = (
                f"PagerDuty kept rate-limiting {method} {template} (960 requests per minute) "
                f"through {attempts} attempts. Another integration may be using the same "
                "PagerDuty account heavily; the sync will try again later."
            )
        else:
            message = (
                f"PagerDuty could not be reached for {method} {template} after {attempts} "
                f"attempts (last: {last_failure}). PagerDuty or the network may be degraded; "
                "the sync will try again later."
            )
        return PagerDutyTransientError(message, status_code=status_code)


def _encode_params(params: Params) -> list[tuple[str, str]]:
    """Query parameters as PagerDuty reads them: lists become repeated keys, booleans
    ``true``/``false`` (requests would send ``True``), datetimes ISO 8601 UTC."""
    encoded: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for single_value in values:
            encoded.append((key, _encode_scalar(single_value)))
    return encoded


def _encode_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_pagerduty_datetime(value)
    return str(value)


def _rate_limit_reset_seconds(headers: Mapping[str, str]) -> float | None:
    raw_value = headers.get("ratelimit-reset")
    if raw_value is None:
        return None
    try:
        seconds = float(raw_value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
