"""One measured sync (or the fetch-only baseline), run in a fresh process by ``bench.run``.

Each measurement runs in its own process so its peak RSS is its own:

    python -m bench.sync sync --connection 1 --trigger manual --full
    python -m bench.sync fetch --connection 1

Both print one line ``BENCH_RESULT {json}`` with the wall time, PagerDuty requests (total and
per path), SQL statements and the process's peak RSS. The request budget is disabled and the
client never waits: the benchmark measures our cost, not PagerDuty's throttling.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as datetime_time
from typing import Any

RESULT_PREFIX = "BENCH_RESULT "


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprintolike.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings

    # DEBUG (needed for the development credentials key) would also log every SQL statement;
    # measure what production does.
    settings.DEBUG = False
    logging.getLogger("integrations.pagerduty.client").setLevel(logging.WARNING)


def peak_rss_megabytes() -> float:
    """This process's peak resident set size (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _client(connection: Any, *, paced: bool = False) -> Any:
    """Unpaced: no budget, no sleeping (our cost). Paced: the production client, with the
    request budget of ``PAGERDUTY_REQUESTS_PER_MINUTE`` and real back-off sleeps."""
    from django.conf import settings

    from integrations.pagerduty.budget import InMemoryBudget
    from integrations.pagerduty.connect import client_for_connection

    if paced:
        budget = InMemoryBudget(int(settings.PAGERDUTY_REQUESTS_PER_MINUTE))
        return client_for_connection(connection, budget=budget)
    return client_for_connection(connection, budget=None, sleep=lambda seconds: None)


def fetch_only(connection: Any) -> dict[str, Any]:
    """Read exactly what a full sync reads, in the same order, and store nothing."""
    from django.utils import timezone

    from integrations.pagerduty.sync.steps.catalog import SERVICE_LIST_PARAMS
    from integrations.pagerduty.sync.steps.incidents import LOG_ENTRY_PARAMS, backfill_start
    from integrations.pagerduty.sync.steps.usage import month_start

    client = _client(connection)
    now = timezone.now()
    until = now + timedelta(seconds=1)
    since = backfill_start(now)
    started = time.perf_counter()
    items = 0
    for _ in client.iter_pages("/services", collection="services", params=SERVICE_LIST_PARAMS):
        pass
    for page in client.iter_pages("/priorities", collection="priorities"):
        items += len(page)
    items += len(client.list_licenses())
    items += sum(1 for _ in client.iter_license_allocations())
    for page in client.iter_pages("/users", collection="users"):
        items += len(page)
    items += sum(1 for _ in client.iter_analytics_raw_users())
    for page in client.iter_incident_pages(since=since, until=until):
        items += len(page)
    items += sum(
        1 for _ in client.iter_log_entries(since=since, until=until, params=LOG_ENTRY_PARAMS)
    )
    # The usage step: every month of the backfill window, from its first day.
    notifications_since = datetime.combine(month_start(since), datetime_time.min, tzinfo=UTC)
    for page in client.iter_notifications(since=notifications_since, until=until):
        items += len(page)
    return {
        "wall_seconds": time.perf_counter() - started,
        "items": items,
        "request_count": client.request_count,
        "requests_by_path": dict(client.requests_by_path),
        "peak_rss_mb": peak_rss_megabytes(),
    }


def measured_sync(
    connection: Any, *, trigger: str, full: bool, paced: bool = False
) -> dict[str, Any]:
    """Run one sync, counting SQL statements with ``execute_wrapper``."""
    from django.db import connection as database

    from integrations.pagerduty.sync.run import sync_connection

    statements = 0

    def count_statement(execute, sql, params, many, context):  # noqa: ANN001
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    client = _client(connection, paced=paced)
    started = time.perf_counter()
    with database.execute_wrapper(count_statement):
        run = sync_connection(connection=connection, trigger=trigger, full=full, client=client)
    wall_seconds = time.perf_counter() - started
    return {
        "status": run.status,
        "error": run.error_message,
        "full": run.full,
        "counts": run.counts,
        "notes": run.notes,
        "records": sum(figures.get("seen", 0) for figures in run.counts.values()),
        "request_count": run.request_count,
        "requests_by_path": run.requests_by_path,
        "sql_statements": statements,
        "slept_seconds": client.slept_seconds,
        "wall_seconds": wall_seconds,
        "peak_rss_mb": peak_rss_megabytes(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__)
    parser.add_argument("mode", choices=("sync", "fetch"))
    parser.add_argument("--connection", type=int, required=True)
    parser.add_argument("--trigger", default="manual")
    parser.add_argument("--full", action="store_true")
    parser.add_argument(
        "--paced", action="store_true", help="with the request budget and real back-off sleeps"
    )
    args = parser.parse_args(argv)
    _setup_django()
    from integrations.models import Connection

    connection = Connection.objects.get(pk=args.connection)
    if args.mode == "fetch":
        result = fetch_only(connection)
    else:
        result = measured_sync(connection, trigger=args.trigger, full=args.full, paced=args.paced)
    sys.stdout.write(RESULT_PREFIX + json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
