"""The production path on several processes: two `qcluster` workers on the Redis broker sync 20
organisations connected to the same PagerDuty account at once.

Every organisation's data must be complete, and the account's request budget (shared through
Redis) must hold: the stand-in records when each request arrives.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection as database

from integrations.models import (
    AuthType,
    RemoteAccount,
    RemoteIncident,
    RemoteService,
    SyncRun,
    SyncRunStatus,
)
from tests.factories import ConnectionFactory, OrganizationFactory

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/13"
ORGANIZATIONS = 20
REQUESTS_PER_MINUTE = 900  # the app's budget: 15 a second for the whole account
WORKERS = 2
TIMEOUT_SECONDS = 75


@pytest.fixture
def redis_db13():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    yield client


def _database_url() -> str:
    settings = database.settings_dict
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_two_workers_sync_twenty_organisations_on_one_account_within_its_budget(redis_db13):
    if database.vendor != "postgresql":
        pytest.skip("The workers share the test database: PostgreSQL only.")
    from pagerduty_standin import DEFAULT_API_KEY, StandinOptions, StandinServer

    server = StandinServer(
        StandinOptions(
            port=0, seed=11, incident_count=150, user_count=25, service_count=4, subdomain="shared"
        )
    ).start()
    arrivals: list[float] = []
    arrivals_lock = threading.Lock()
    take = server._rate_limiter.take

    def recording_take(identity: str, limit_per_minute: int):  # noqa: ANN202
        with arrivals_lock:
            arrivals.append(time.monotonic())
        return take(identity, limit_per_minute)

    server._rate_limiter.take = recording_take
    connections = [
        ConnectionFactory(
            organization=OrganizationFactory(),
            auth_type=AuthType.API_KEY,
            api_key=DEFAULT_API_KEY,
            subdomain="shared",
        )
        for _ in range(ORGANIZATIONS)
    ]
    cluster_name = f"test-{uuid.uuid4().hex[:10]}"
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sprintolike.settings_test",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "Q_CLUSTER_NAME": cluster_name,
        "Q_WORKERS": str(WORKERS),
        "PAGERDUTY_API_URL": server.url,
        "PAGERDUTY_EU_API_URL": server.url,
        "PAGERDUTY_REQUESTS_PER_MINUTE": str(REQUESTS_PER_MINUTE),
        "INCIDENT_BACKFILL_DAYS": "170",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "LOG_LEVEL": "WARNING",
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        ids = ",".join(str(connection.pk) for connection in connections)
        subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from integrations.models import Connection\n"
                "from integrations.services import connection_sync_enqueue\n"
                f"for c in Connection.objects.filter(pk__in=[{ids}]):\n"
                "    connection_sync_enqueue(connection=c, trigger='manual')\n",
            ],
            cwd=ROOT,
            env=environment,
            check=True,
            timeout=60,
        )
        deadline = time.monotonic() + TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            finished = SyncRun.objects.filter(finished_at__isnull=False).count()
            if finished >= ORGANIZATIONS:
                break
            assert all(worker.poll() is None for worker in workers), "a worker died"
            time.sleep(0.5)
        summary = server.summary() if hasattr(server, "summary") else None
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        server.stop()
        for key in redis_db13.scan_iter(f"django_q:{cluster_name}*"):
            redis_db13.delete(key)
        for key in redis_db13.scan_iter("pagerduty-budget:pagerduty:*:shared:*"):
            redis_db13.delete(key)

    runs = list(SyncRun.objects.all())
    assert len(runs) == ORGANIZATIONS
    assert {run.status for run in runs} == {SyncRunStatus.SUCCEEDED}, [
        run.error_message for run in runs
    ]
    assert len({run.connection_id for run in runs}) == ORGANIZATIONS
    per_organization = [
        (
            RemoteService.objects.filter(connection=connection).count(),
            RemoteAccount.objects.filter(connection=connection).count(),
            RemoteIncident.objects.filter(connection=connection).count(),
        )
        for connection in connections
    ]
    assert len(set(per_organization)) == 1, per_organization
    services, accounts, incidents = per_organization[0]
    assert (services, accounts) == (4, 25) and incidents > 0
    del summary

    # The shared budget: 15 requests a second for the whole account, whatever the workers.
    arrivals.sort()
    allowance_per_second = REQUESTS_PER_MINUTE // 60
    busiest_five_seconds = max(
        sum(1 for moment in arrivals[index:] if moment < start + 5)
        for index, start in enumerate(arrivals)
    )
    assert busiest_five_seconds <= 6 * allowance_per_second, busiest_five_seconds
    assert sum(run.request_count for run in runs) == len(arrivals)
