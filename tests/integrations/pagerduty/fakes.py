"""A PagerDutyClient wired to ``responses`` mocks, for the client, auth and error tests."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from integrations.pagerduty.auth import ApiKeyAuthorizer
from integrations.pagerduty.client import PagerDutyClient

BASE_URL = "https://api.pagerduty.test"
API_KEY = "sekret-api-key"


class FakeSleep:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def make_client(sleep: FakeSleep | None = None, auth: Any = None, **kwargs: Any) -> PagerDutyClient:
    return PagerDutyClient(
        base_url=BASE_URL,
        auth=auth or ApiKeyAuthorizer(API_KEY),
        sleep=sleep or FakeSleep(),
        random_source=random.Random(1234),
        **kwargs,
    )


def query_of(call: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def error_response(
    status: int, message: str, code: int, errors: list[str]
) -> tuple[int, dict[str, str], str]:
    body = {"error": {"message": message, "code": code, "errors": errors}}
    return status, {}, json.dumps(body)
