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
import os
import random
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

SLUG_PREFIX = "bench-eval-"
INSERT_BATCH_SIZE = 5000
SERVICES_PER_ORG = 5
PRIORITY_NAMES = ("P1", "P2", "P3", "P4")
DATA_LOSS_NOTE = "Confirmed data loss: some order records were not persisted."
RESOLUTION_NOTE = "Resolved after restarting the stuck consumer."
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


def _ensure_postgres_database(database_url: str) -> None:
    """CREATE DATABASE when the URL's database does not exist yet (PostgreSQL only)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(database_url)
    if "postgresql" not in config["ENGINE"]:
        return
    connect = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    options = {key: value for key, value in connect.items() if value is not None}
    with psycopg.connect(**options) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"Created database {config['NAME']}.")


def setup_django() -> None:
    """Configure Django (unless a caller such as bench/run.py already did) and migrate."""
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprintolike.settings")
        os.environ.setdefault("DJANGO_DEBUG", "1")
        if os.environ.get("DATABASE_URL"):
            _ensure_postgres_database(os.environ["DATABASE_URL"])
        import django

        django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    # With DEBUG on, Django keeps the text of every query; bulk INSERTs would fill memory.
    settings.DEBUG = False


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


def analyze_tables() -> None:
    """Refresh the planner's statistics after bulk inserts, as autovacuum would in production
    (stale statistics make PostgreSQL plan every per-organisation query badly)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def delete_previous_run() -> None:
    """Delete the benchmark's organisations; the big tables first with one DELETE each."""
    from django.db import connection

    from checks import models as checks_models
    from incidents import models as incidents_models
    from integrations.models import RemoteIncident, RemoteIncidentStatusChange
    from tenants.models import Organization

    big_tables = [
        checks_models.CheckResultChange,
        checks_models.CheckResult,
        checks_models.CheckSummaryChange,
        checks_models.CheckTrendPoint,
        checks_models.CheckSummary,
        incidents_models.Disclosure,
        incidents_models.DataLossReview,
        checks_models.SpecialCase,
        incidents_models.IncidentSource,
        incidents_models.PrioritySla,
        RemoteIncidentStatusChange,
        RemoteIncident,
    ]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in big_tables:
            cursor.execute(
                f"DELETE FROM {quote(model._meta.db_table)} WHERE organization_id IN "
                f"(SELECT id FROM {quote(Organization._meta.db_table)} WHERE slug LIKE %s)",
                [SLUG_PREFIX + "%"],
            )
    Organization.objects.filter(slug__startswith=SLUG_PREFIX).delete()


def _batched(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def create_organizations(
    *, label: str, count: int, incidents_per_org: int, now: datetime, seed: int
) -> list[int]:
    """Organisations with a connection, services, priorities (P1 at 4 h) and incidents, in bulk.

    Incidents: 88% resolved (a few late), 12% open (most recent, some past their SLA); 1% have
    a resolution note mentioning data loss, 0.5% a data-loss custom field, 0.3% a review.
    """
    from incidents.models import DataLossAnswer, DataLossReview, PrioritySla
    from integrations.models import (
        AuthType,
        Connection,
        IncidentStatus,
        Purpose,
        RemoteIncident,
        RemotePriority,
        RemoteService,
    )
    from tenants.models import Organization

    rng = random.Random(seed)
    organizations = Organization.objects.bulk_create(
        [
            Organization(name=f"Bench {label} {number}", slug=f"{SLUG_PREFIX}{label}-{number}")
            for number in range(count)
        ],
        batch_size=INSERT_BATCH_SIZE,
    )
    connections = Connection.objects.bulk_create(
        [
            Connection(
                organization=organization,
                auth_type=AuthType.API_KEY,
                subdomain=organization.slug,
                purposes=[Purpose.INCIDENT_MANAGEMENT, Purpose.ACCESS_MANAGEMENT],
                last_synced_at=now,
            )
            for organization in organizations
        ],
        batch_size=INSERT_BATCH_SIZE,
    )
    services = RemoteService.objects.bulk_create(
        [
            RemoteService(
                organization_id=connection.organization_id,
                connection=connection,
                external_id=f"S{index}",
                name=f"Service {index}",
                status="active",
            )
            for connection in connections
            for index in range(SERVICES_PER_ORG)
        ],
        batch_size=INSERT_BATCH_SIZE,
    )
    priorities = RemotePriority.objects.bulk_create(
        [
            RemotePriority(
                organization_id=connection.organization_id,
                connection=connection,
                external_id=f"R{rank}",
                name=name,
                rank=rank,
            )
            for connection in connections
            for rank, name in enumerate(PRIORITY_NAMES)
        ],
        batch_size=INSERT_BATCH_SIZE,
    )
    PrioritySla.objects.bulk_create(
        [
            PrioritySla(organization_id=priority.organization_id, priority=priority, sla_hours=4)
            for priority in priorities
            if priority.name == "P1"
        ],
        batch_size=INSERT_BATCH_SIZE,
    )
    services_of = {}
    for service in services:
        services_of.setdefault(service.connection_id, []).append(service)
    priorities_of = {}
    for priority in priorities:
        priorities_of.setdefault(priority.connection_id, []).append(priority)

    def incidents() -> Iterator[RemoteIncident]:
        for connection in connections:
            for number in range(1, incidents_per_org + 1):
                open_incident = rng.random() < 0.12
                if open_incident:
                    created = now - timedelta(hours=rng.uniform(0, 96))
                else:
                    created = now - timedelta(days=rng.uniform(0, 365))
                resolved_at = None
                if not open_incident:
                    resolved_at = min(now, created + timedelta(hours=rng.expovariate(1 / 8)))
                roll = rng.random()
                yield RemoteIncident(
                    organization_id=connection.organization_id,
                    connection=connection,
                    external_id=f"Q{number:07d}",
                    number=number,
                    title=f"Incident {number}",
                    status=(
                        rng.choice([IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED])
                        if open_incident
                        else IncidentStatus.RESOLVED
                    ),
                    urgency="low" if rng.random() < 0.3 else "high",
                    priority=rng.choice(priorities_of[connection.pk])
                    if rng.random() < 0.5
                    else None,
                    service=rng.choice(services_of[connection.pk]),
                    created_at_remote=created,
                    resolved_at=resolved_at,
                    last_status_change_at=resolved_at or created,
                    resolution_note=""
                    if open_incident
                    else (DATA_LOSS_NOTE if roll < 0.01 else RESOLUTION_NOTE),
                    custom_fields={"data_loss": True} if 0.01 <= roll < 0.015 else {},
                    data_loss_field=True if 0.01 <= roll < 0.015 else None,
                    first_seen_at=now,
                    synced_at=now,
                )

    reviews: list[DataLossReview] = []
    for batch in _batched(incidents(), INSERT_BATCH_SIZE):
        RemoteIncident.objects.bulk_create(batch)
        for incident in batch:
            if rng.random() < 0.003:
                reviews.append(
                    DataLossReview(
                        organization_id=incident.organization_id,
                        incident=incident,
                        data_loss=DataLossAnswer.NO,
                    )
                )
    DataLossReview.objects.bulk_create(reviews, batch_size=INSERT_BATCH_SIZE)
    return [organization.pk for organization in organizations]


# --- Evaluation --------------------------------------------------------------------------------


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


def create_access_organization(*, accounts: int, now: datetime) -> int:
    """One org with `accounts` PagerDuty accounts and matching staff: PagerDuty critical with
    role-based access; a tenth of the accounts unknown, a tenth of the staff offboarded, a
    fifth of the accounts with a role above their org role's limit."""
    from access.models import CriticalSystem, RoleAllowance, SystemKind, ValidAccessMode
    from integrations.models import AuthType, Connection, RemoteAccount
    from tenants.models import Organization, OrgRole, StaffMember, StaffStatus

    organization = Organization.objects.create(name="Bench access", slug=f"{SLUG_PREFIX}access")
    connection = Connection.objects.create(
        organization=organization,
        auth_type=AuthType.API_KEY,
        subdomain="bench-access",
        purposes=["access_management"],
        last_synced_at=now,
    )
    roles = [
        OrgRole.objects.create(organization=organization, name=name)
        for name in ("SRE", "Support", "Finance")
    ]
    system = CriticalSystem.objects.create(
        organization=organization,
        kind=SystemKind.PAGERDUTY,
        name="PagerDuty",
        valid_access_mode=ValidAccessMode.ROLE_BASED,
        grace_days=2,
    )
    RoleAllowance.objects.create(
        organization=organization, system=system, org_role=roles[0], max_role="user"
    )
    RoleAllowance.objects.create(
        organization=organization, system=system, org_role=roles[1], max_role="limited_user"
    )
    rng = random.Random(accounts)
    for batch in _batched(iter(range(accounts)), INSERT_BATCH_SIZE):
        StaffMember.objects.bulk_create(
            StaffMember(
                organization=organization,
                name=f"Person {index}",
                email=f"person{index}@example.com",
                org_role=roles[index % 3],
                status=StaffStatus.OFFBOARDED if index % 10 == 3 else StaffStatus.ACTIVE,
                last_working_day=(now - timedelta(days=rng.randrange(30))).date()
                if index % 10 == 3
                else None,
            )
            for index in batch
        )
        RemoteAccount.objects.bulk_create(
            RemoteAccount(
                organization=organization,
                connection=connection,
                external_id=f"PB{index:07d}",
                name=f"Person {index}",
                email=f"person{index}@example.com" if index % 10 else f"unknown{index}@example.net",
                role=rng.choice(("admin", "user", "user", "limited_user", "observer")),
            )
            for index in batch
        )
    return organization.pk


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
