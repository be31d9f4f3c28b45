"""Check-evaluation benchmark: seconds, SQL queries and memory of the check engine at scale.

Three scenarios, each evaluated several times (as the after-sync task and the hourly schedule do):
- one organisation with 10,000 PagerDuty accounts and its staff (the access checks);
- one organisation with 100,000 incidents;
- 1,000 organisations with 200 incidents each (evaluated one after the other, as the per-org
  tasks of the hourly fan-out would be).
Runs: "first" (every result and history row created), "unchanged" (same instant again: nothing
written), then for the incident scenarios "after sync" (every organisation synced, the syncs
changed 100 incidents in all, written as the sync writes them; the after-sync evaluation as its
task runs it), "+1 day" (a day later: open incidents pass their SLA deadline, due → failing).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprintolike_bench DJANGO_DEBUG=1 \\
        .venv/bin/python -m bench.evaluate_checks [--small]

The database is created when missing (PostgreSQL) and migrated; tables are ANALYZEd after the
bulk inserts, as autovacuum would do in production. Data of a previous run of this
benchmark (organisations whose slug starts with `bench-eval-`) is deleted first; nothing else
is touched. `main(argv)` is the entry point for `bench/run.py`.
"""

import argparse
import gc
import resource
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.dataset import (
    INSERT_BATCH_SIZE,
    analyze_tables,
    create_access_organization,
    create_organizations,
    delete_previous_run,
    setup_django,
)

SYNC_CHANGED_INCIDENTS = 100


@dataclass
class Measurement:
    scenario: str
    organizations: int
    incidents: int
    run: str
    seconds: float
    queries: int
    queries_per_org_max: int
    results_written: int
    peak_memory_growth_mb: float


# --- Database and Django -----------------------------------------------------------------------


class QueryCounter:
    """Counts every statement sent to the database (server-side cursor FETCHes excluded)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


class ResidentMemorySampler:
    """Highest resident memory seen while the block runs, minus what it was at the start.

    `ru_maxrss` only ever grows (the data generation already set it), so a thread samples
    /proc/self/statm instead; off Linux the figure is 0.
    """

    def __init__(self, interval_seconds: float = 0.02) -> None:
        self.interval_seconds = interval_seconds
        self.start_bytes = self.peak_bytes = self._resident_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def _resident_bytes() -> int:
        try:
            with open("/proc/self/statm") as statm:
                return int(statm.read().split()[1]) * resource.getpagesize()
        except OSError:
            return 0

    def _sample(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.peak_bytes = max(self.peak_bytes, self._resident_bytes())

    def __enter__(self) -> "ResidentMemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_bytes = max(self.peak_bytes, self._resident_bytes())

    @property
    def growth_mb(self) -> float:
        return (self.peak_bytes - self.start_bytes) / 1024 / 1024


# --- Data --------------------------------------------------------------------------------------


def evaluate(
    *,
    scenario: str,
    run: str,
    organization_ids: list[int],
    incidents: int,
    now: datetime,
    only_if_changed: bool,
    after_sync_started_at: datetime | None = None,
) -> Measurement:
    """Evaluate each organisation as the scheduled task does or, with `after_sync_started_at`,
    as the after-sync task does after a run that started then."""
    from django.db import connection

    from checks.evaluation import organization_evaluate, organization_evaluate_after_sync
    from tenants.models import Organization

    gc.collect()
    counter = QueryCounter()
    per_org_max = 0
    written = 0
    started = time.perf_counter()
    with ResidentMemorySampler() as memory, connection.execute_wrapper(counter):
        for organization in Organization.objects.filter(pk__in=organization_ids).iterator():
            before = counter.count
            if after_sync_started_at is not None:
                evaluations = organization_evaluate_after_sync(
                    organization=organization, changed_since=after_sync_started_at, now=now
                )
            else:
                evaluations = organization_evaluate(
                    organization=organization, now=now, only_if_changed=only_if_changed
                )
            per_org_max = max(per_org_max, counter.count - before)
            written += sum(evaluation.created + evaluation.updated for evaluation in evaluations)
    seconds = time.perf_counter() - started
    return Measurement(
        scenario=scenario,
        organizations=len(organization_ids),
        incidents=incidents,
        run=run,
        seconds=seconds,
        queries=counter.count,
        queries_per_org_max=per_org_max,
        results_written=written,
        peak_memory_growth_mb=memory.growth_mb,
    )


def _runs(now: datetime) -> tuple[tuple[str, datetime, bool], ...]:
    """(run, at, only_if_changed): "first" is the after-sync evaluation (in full); the others are
    the scheduled runs, which skip an organisation whose results are still current."""
    return (
        ("first", now, False),
        ("unchanged", now + timedelta(minutes=5), True),
        ("+1 day", now + timedelta(days=1), True),
    )


def sync_changes(*, organization_ids: list[int], changed_total: int, started_at: datetime) -> None:
    """Every organisation synced (a succeeded run that started at `started_at`); the syncs
    resolved `changed_total` open incidents in all (100 in one organisation, or one in each of
    the first 100), written by the sync's own writer (`upsert_records`, which marks them)."""
    from integrations.models import (
        OPEN_INCIDENT_STATUSES,
        Connection,
        IncidentStatus,
        RemoteIncident,
        SyncRun,
        SyncRunStatus,
        SyncTrigger,
    )
    from integrations.pagerduty.sync.upsert import upsert_records

    connections = {
        connection.organization_id: connection
        for connection in Connection.objects.filter(organization_id__in=organization_ids)
    }
    SyncRun.objects.bulk_create(
        [
            SyncRun(
                organization_id=organization_id,
                connection=connections[organization_id],
                trigger=SyncTrigger.SCHEDULE,
                status=SyncRunStatus.SUCCEEDED,
                started_at=started_at,
                finished_at=started_at + timedelta(minutes=1),
            )
            for organization_id in organization_ids
        ],
        batch_size=INSERT_BATCH_SIZE,
    )
    per_organization = max(1, changed_total // len(organization_ids))
    resolved_at = started_at - timedelta(minutes=1)
    for organization_id in organization_ids[: changed_total // per_organization]:
        open_ids = RemoteIncident.objects.filter(
            organization_id=organization_id, status__in=OPEN_INCIDENT_STATUSES
        ).order_by("pk")[:per_organization]
        upsert_records(
            RemoteIncident,
            connection=connections[organization_id],
            records={
                external_id: {
                    "status": IncidentStatus.RESOLVED,
                    "resolved_at": resolved_at,
                    "last_status_change_at": resolved_at,
                }
                for external_id in open_ids.values_list("external_id", flat=True)
            },
            now=started_at,
        )


def run_scenario(
    *, label: str, scenario: str, organizations: int, incidents_per_org: int, now: datetime
) -> list[Measurement]:
    started = time.perf_counter()
    organization_ids = create_organizations(
        label=label,
        count=organizations,
        incidents_per_org=incidents_per_org,
        now=now,
        seed=organizations * 1000 + incidents_per_org,
    )
    total = organizations * incidents_per_org
    analyze_tables()
    print(f"  {scenario}: inserted {total:,} incidents in {time.perf_counter() - started:.1f} s")
    measurements = []
    for run, at, only_if_changed in _runs(now):
        if run == "+1 day":
            sync_started_at = now + timedelta(minutes=10)
            sync_changes(
                organization_ids=organization_ids,
                changed_total=SYNC_CHANGED_INCIDENTS,
                started_at=sync_started_at,
            )
            measurement = evaluate(
                scenario=scenario,
                run="after sync",
                organization_ids=organization_ids,
                incidents=total,
                now=sync_started_at + timedelta(minutes=2),
                only_if_changed=False,
                after_sync_started_at=sync_started_at,
            )
            print(
                f"  {scenario}: after a sync changing {SYNC_CHANGED_INCIDENTS} incidents "
                f"{measurement.seconds:.2f} s"
            )
            measurements.append(measurement)
        measurement = evaluate(
            scenario=scenario,
            run=run,
            organization_ids=organization_ids,
            incidents=total,
            now=at,
            only_if_changed=only_if_changed,
        )
        print(f"  {scenario}: {run} evaluation {measurement.seconds:.1f} s")
        measurements.append(measurement)
        analyze_tables()  # the first run filled the results tables (not timed)
    return measurements


def run_access_scenario(*, accounts: int, now: datetime) -> list[Measurement]:
    started = time.perf_counter()
    organization_id = create_access_organization(accounts=accounts, now=now)
    analyze_tables()
    scenario = f"1 org × {accounts:,} accounts (access)"
    print(f"  {scenario}: inserted in {time.perf_counter() - started:.1f} s")
    measurements = []
    for run, at, only_if_changed in _runs(now):
        measurement = evaluate(
            scenario=scenario,
            run=run,
            organization_ids=[organization_id],
            incidents=0,
            now=at,
            only_if_changed=only_if_changed,
        )
        print(f"  {scenario}: {run} evaluation {measurement.seconds:.1f} s")
        measurements.append(measurement)
        analyze_tables()
    return measurements


def print_table(measurements: list[Measurement]) -> None:
    header = (
        f"{'scenario':<30} {'orgs':>6} {'incidents':>10} {'run':<10} {'seconds':>8} "
        f"{'queries':>8} {'max q/org':>9} {'rows written':>12} {'peak RSS +MB':>12}"
    )
    print()
    print(header)
    print("-" * len(header))
    for measurement in measurements:
        print(
            f"{measurement.scenario:<30} {measurement.organizations:>6,} "
            f"{measurement.incidents:>10,} {measurement.run:<10} {measurement.seconds:>8.2f} "
            f"{measurement.queries:>8,} {measurement.queries_per_org_max:>9,} "
            f"{measurement.results_written:>12,} {measurement.peak_memory_growth_mb:>12.1f}"
        )
    goals = {
        ("1 org", "first"): 15.0,
        ("1 org", "unchanged"): 1.0,
        ("orgs", "unchanged"): 15.0,
    }
    print()
    for measurement in measurements:
        for (scenario_word, run), goal in goals.items():
            single = measurement.organizations == 1
            incident_scenario = measurement.incidents > 0  # the goals are set for incidents
            if (
                incident_scenario
                and run == measurement.run
                and (scenario_word == "1 org") == single
            ):
                met = "met" if measurement.seconds <= goal else "MISSED"
                print(
                    f"goal: {measurement.scenario}, {run}: {measurement.seconds:.2f} s "
                    f"(goal ≤ {goal:g} s: {met})"
                )
    print(
        "\nqueries: every statement sent (a streamed query counts once; its FETCHes do not). "
        "rows written: check results created or updated (history rows not counted).\n"
        "peak RSS +MB: highest resident memory during the run minus memory before it."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.evaluate_checks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--small", action="store_true", help="10,000 incidents and 100 × 200 (a quick run)"
    )
    parser.add_argument("--large-incidents", type=int, help="incidents of the single large org")
    parser.add_argument("--orgs", type=int, help="number of small organisations")
    parser.add_argument("--incidents-per-org", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the generated data afterwards")
    parser.add_argument(
        "--access-accounts", type=int, default=10_000, help="PagerDuty accounts of the access org"
    )
    parser.add_argument("--only-access", action="store_true", help="run the access scenario only")
    args = parser.parse_args(argv)
    large_incidents = args.large_incidents or (10_000 if args.small else 100_000)
    organizations = args.orgs or (100 if args.small else 1_000)

    setup_django()
    from django.utils import timezone

    delete_previous_run()
    now = timezone.now().replace(microsecond=0)
    measurements = []
    print("Evaluation benchmark")
    measurements += run_access_scenario(accounts=args.access_accounts, now=now)
    if args.only_access:
        print_table(measurements)
        if not args.keep:
            delete_previous_run()
        return 0
    measurements += run_scenario(
        label="large",
        scenario=f"1 org × {large_incidents:,} incidents",
        organizations=1,
        incidents_per_org=large_incidents,
        now=now,
    )
    measurements += run_scenario(
        label="many",
        scenario=f"{organizations:,} orgs × {args.incidents_per_org:,} incidents",
        organizations=organizations,
        incidents_per_org=args.incidents_per_org,
        now=now,
    )
    print_table(measurements)
    if not args.keep:
        delete_previous_run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
