"""The per-PagerDuty-account request budget (PagerDuty allows 960 requests/minute/account)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pytest_django.fixtures import Settings

from integrations.pagerduty.budget import (
    DatabaseBudget,
    InMemoryBudget,
    RedisBudget,
    budget_from_settings,
)

REDIS_URL = "redis://127.0.0.1:6379/15"


class FakeTime:
    """A clock that only moves when the budget sleeps, recording each sleep."""

    def __init__(self, now_seconds: float) -> None:
        self.now_seconds = now_seconds
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now_seconds

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_seconds += seconds


# --------------------------------------------------------------------------------------------
# In memory
# --------------------------------------------------------------------------------------------


def test_in_memory_budget_lets_requests_through_while_the_window_has_room() -> None:
    fake_time = FakeTime(now_seconds=6_000.0)
    budget = InMemoryBudget(180, sleep=fake_time.sleep, clock=fake_time.clock)  # 3 a second

    for _ in range(3):
        budget.acquire("us:PACCT01")

    assert fake_time.sleeps == []


def test_in_memory_budget_blocks_until_the_window_ends_when_full() -> None:
    fake_time = FakeTime(now_seconds=6_000.0 + 0.75)  # a quarter second before it ends
    budget = InMemoryBudget(180, sleep=fake_time.sleep, clock=fake_time.clock)

    for _ in range(4):
        budget.acquire("us:PACCT01")

    assert len(fake_time.sleeps) == 1
    assert 0.25 <= fake_time.sleeps[0] <= 0.3
    assert fake_time.now_seconds >= 6_001.0


def test_budget_below_sixty_a_minute_spaces_requests_evenly() -> None:
    fake_time = FakeTime(now_seconds=6_000.0)
    budget = InMemoryBudget(3, sleep=fake_time.sleep, clock=fake_time.clock)  # one per 20 s

    for _ in range(3):
        budget.acquire("us:PACCT01")

    assert [round(seconds) for seconds in fake_time.sleeps] == [20, 20]


def test_budget_never_lets_a_sixty_second_span_exceed_the_limit_by_more_than_one_window() -> None:
    fake_time = FakeTime(now_seconds=6_000.3)
    budget = InMemoryBudget(900, sleep=fake_time.sleep, clock=fake_time.clock)
    moments = []
    for _ in range(3_000):
        budget.acquire("us:PACCT01")
        moments.append(fake_time.now_seconds)

    busiest = max(sum(1 for moment in moments if start <= moment < start + 60) for start in moments)
    assert busiest <= 915


def test_in_memory_budget_counts_each_account_separately() -> None:
    fake_time = FakeTime(now_seconds=6_000.0)
    budget = InMemoryBudget(120, sleep=fake_time.sleep, clock=fake_time.clock)

    for account_key in ("us:PACCT01", "us:PACCT01", "eu:PACCT02", "eu:PACCT02"):
        budget.acquire(account_key)

    assert fake_time.sleeps == []


# --------------------------------------------------------------------------------------------
# Redis
# --------------------------------------------------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    prefix = f"test-pagerduty-budget-{uuid.uuid4().hex}"
    yield prefix
    for key in connection.scan_iter(f"{prefix}:*"):
        connection.delete(key)


def test_redis_budget_blocks_until_the_window_ends_when_full(redis_prefix: str) -> None:
    fake_time = FakeTime(now_seconds=1_800_000_000.0 + 0.9)  # 0.1 s before the window ends
    budget = RedisBudget(
        REDIS_URL,
        requests_per_minute=180,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        key_prefix=redis_prefix,
    )

    for _ in range(3):
        budget.acquire("us:PACCT01")
    assert fake_time.sleeps == []

    budget.acquire("us:PACCT01")

    assert len(fake_time.sleeps) == 1
    assert 0.1 <= fake_time.sleeps[0] <= 0.12


def test_redis_budget_is_shared_between_instances_and_keys_expire(redis_prefix: str) -> None:
    import redis

    fake_time = FakeTime(now_seconds=1_800_000_000.0)
    first_worker, second_worker = (
        RedisBudget(
            REDIS_URL,
            requests_per_minute=120,
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            key_prefix=redis_prefix,
        )
        for _ in range(2)
    )

    first_worker.acquire("us:PACCT01")
    second_worker.acquire("us:PACCT01")
    assert fake_time.sleeps == []
    second_worker.acquire("us:PACCT01")
    assert len(fake_time.sleeps) == 1

    connection = redis.Redis.from_url(REDIS_URL)
    window = int(1_800_000_000.0 // 1)
    key = first_worker.window_key("us:PACCT01", window)
    assert key == f"{redis_prefix}:us:PACCT01:{window}"
    assert 0 < connection.ttl(key) <= 120


def test_unreachable_redis_lets_requests_through() -> None:
    fake_time = FakeTime(now_seconds=1_800_000_000.0)
    budget = RedisBudget(
        "redis://127.0.0.1:1/0", requests_per_minute=1, sleep=fake_time.sleep, clock=fake_time.clock
    )

    budget.acquire("us:PACCT01")
    budget.acquire("us:PACCT01")

    assert fake_time.sleeps == []


# --------------------------------------------------------------------------------------------
# Database (needs the Django project's test settings)
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_database_budget_blocks_until_the_window_ends_when_full() -> None:
    from integrations.models import RequestBudgetWindow

    fake_time = FakeTime(now_seconds=1_800_000_000.0 + 0.8)  # 0.2 s before the window ends
    budget = DatabaseBudget(180, sleep=fake_time.sleep, clock=fake_time.clock)

    for _ in range(3):
        budget.acquire("us:PACCT01")
    assert fake_time.sleeps == []
    budget.acquire("us:PACCT01")

    assert len(fake_time.sleeps) == 1
    assert 0.2 <= fake_time.sleeps[0] <= 0.22
    counts = {
        row.window_start: row.request_count
        for row in RequestBudgetWindow.objects.filter(account_key="us:PACCT01")
    }
    first_window = datetime.fromtimestamp(1_800_000_000.0, tz=UTC)
    assert counts == {first_window: 3, first_window + timedelta(seconds=1): 1}


@pytest.mark.django_db(transaction=True)
def test_database_budget_counts_each_account_separately() -> None:
    fake_time = FakeTime(now_seconds=1_800_000_000.0)
    budget = DatabaseBudget(1, sleep=fake_time.sleep, clock=fake_time.clock)

    budget.acquire("us:PACCT01")
    budget.acquire("eu:PACCT02")

    assert fake_time.sleeps == []


@pytest.mark.django_db(transaction=True)
def test_database_budget_retries_the_update_when_another_process_created_the_row() -> None:
    from integrations.models import RequestBudgetWindow

    fake_time = FakeTime(now_seconds=1_800_000_000.0)
    window_start = datetime.fromtimestamp(1_800_000_000.0, tz=UTC)
    budget = DatabaseBudget(300, sleep=fake_time.sleep, clock=fake_time.clock)
    original_increment = budget._increment_if_room
    calls: list[str] = []

    def increment_racing_another_process(account_key: str, start: datetime) -> bool:
        if not calls:
            # Another worker inserts this window's row between our UPDATE and our INSERT.
            RequestBudgetWindow.objects.create(
                account_key=account_key, window_start=start, request_count=2
            )
            calls.append("raced")
            return False
        return original_increment(account_key, start)

    budget._increment_if_room = increment_racing_another_process  # type: ignore[method-assign]

    budget.acquire("us:PACCT01")

    row = RequestBudgetWindow.objects.get(account_key="us:PACCT01", window_start=window_start)
    assert row.request_count == 3
    assert fake_time.sleeps == []


@pytest.mark.django_db(transaction=True)
def test_database_budget_deletes_windows_older_than_ten_minutes() -> None:
    from integrations.models import RequestBudgetWindow

    now_seconds = 1_800_000_000.0
    current_window = datetime.fromtimestamp(now_seconds // 60 * 60, tz=UTC)
    RequestBudgetWindow.objects.create(
        account_key="us:OLD", window_start=current_window - timedelta(minutes=30), request_count=9
    )
    RequestBudgetWindow.objects.create(
        account_key="us:RECENT",
        window_start=current_window - timedelta(minutes=5),
        request_count=9,
    )
    fake_time = FakeTime(now_seconds=now_seconds)

    DatabaseBudget(600, sleep=fake_time.sleep, clock=fake_time.clock).acquire("us:PACCT01")

    assert set(RequestBudgetWindow.objects.values_list("account_key", flat=True)) == {
        "us:RECENT",
        "us:PACCT01",
    }


def test_budget_from_settings_prefers_redis_when_configured(settings: Settings) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    settings.PAGERDUTY_REQUESTS_PER_MINUTE = 600

    budget = budget_from_settings()

    assert isinstance(budget, RedisBudget)
    assert budget.requests_per_minute == 600


def test_budget_from_settings_falls_back_to_the_database(settings: Settings) -> None:
    settings.REDIS_URL = ""
    settings.PAGERDUTY_REQUESTS_PER_MINUTE = 900

    budget = budget_from_settings()

    assert isinstance(budget, DatabaseBudget)
    assert budget.requests_per_minute == 900
