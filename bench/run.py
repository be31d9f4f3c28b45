"""`make bench`: the sync engine against the local PagerDuty stand-in at scale, on PostgreSQL.

Starts two stand-ins in their own processes (100,000 incidents / 5,000 users / 50 services, and
the same account with 10,000 incidents), recreates its own database (``sprintolike_bench`` on
the server of ``DATABASE_URL``), then measures, each in a fresh process:

1. the fetch-only baseline: the pages a full sync reads, with no database work;
2. the full sync (and the 10,000-incident full sync, to see peak RSS stay flat);
3. an unchanged scheduled incremental sync;
4. a "Sync now" after 100 old open incidents were resolved and 10 users removed.

It prints requests per resource against the minimum (Σ⌈n/page size⌉), the full-sync wall time
against the fetch-only baseline, SQL statements per 100 records and peak RSS, then runs the
checks benchmark (``bench.evaluate_checks``) when that module exists.

The stand-ins run with their rate limit off and the client with the shared request budget off
and no sleeping, so the figures are our cost, not PagerDuty's throttling.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/sprintolike"
BENCH_DATABASE = "sprintolike_bench"
# The stand-in spreads incidents over two years: back-fill all of them.
BACKFILL_DAYS = 740
GOAL_REQUEST_RATIO = 1.05
GOAL_WALL_RATIO = 1.5
GOAL_PEAK_RSS_MB = 250
PAGE_SIZE = 100
ANALYTICS_PAGE_SIZE = 1000
PER_INCIDENT_PATHS = ("/incidents/{id}", "/incidents/{id}/custom_fields/values")


# --------------------------------------------------------------------------------- plumbing


def bench_database_url(server_url: str, name: str = BENCH_DATABASE) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def recreate_database(database_url: str) -> None:
    """Drop and create the benchmark database, connected to the server's `postgres` database."""
    import psycopg

    name = urlsplit(database_url).path.lstrip("/")
    admin_url = bench_database_url(database_url, "postgres").replace(
        "postgres://", "postgresql://", 1
    )
    with closing(psycopg.connect(admin_url, autocommit=True)) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_environment(database_url: str, standin_url: str | None = None) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="sprintolike.settings",
        DJANGO_DEBUG=environment.get("DJANGO_DEBUG", "1"),
        INCIDENT_BACKFILL_DAYS=str(BACKFILL_DAYS),
        PYTHONPATH=str(ROOT),
    )
    if standin_url:
        environment.update(PAGERDUTY_API_URL=standin_url, PAGERDUTY_EU_API_URL=standin_url)
    return environment


def django_on_fresh_database(server_url: str, name: str = BENCH_DATABASE) -> str:
    """Recreate the benchmark's own database, point this process's Django at it, migrate.

    Returns the database URL (child processes get it through `child_environment`)."""
    database_url = bench_database_url(server_url, name)
    print(f"Database: {name} (recreated) on {urlsplit(server_url).hostname}")
    recreate_database(database_url)
    os.environ.update(child_environment(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return database_url


class Standin:
    """A stand-in in its own process (its own core; not in the measured process's RSS)."""

    def __init__(
        self,
        *,
        incidents: int,
        users: int,
        services: int,
        subdomain: str,
        environment: dict,
        latency_ms: int = 0,
        rate_limit_per_minute: int = 0,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.subdomain = subdomain
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "pagerduty_standin",
                "--port",
                str(self.port),
                "--incidents",
                str(incidents),
                "--users",
                str(users),
                "--services",
                str(services),
                "--seed",
                "1",
                "--subdomain",
                subdomain,
                "--rate-limit-per-minute",
                str(rate_limit_per_minute),
                "--latency-ms",
                str(latency_ms),
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout_seconds: float = 120) -> None:
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The stand-in on port {self.port} exited early.")
            try:
                if requests.get(f"{self.url}/_control/health", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"The stand-in on port {self.port} did not start in time.")

    def control(self, path: str, payload: dict | None = None) -> Any:
        response = requests.post(f"{self.url}/_control{path}", json=payload or {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def summary(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_control/summary", timeout=30).json()

    def stats(self) -> dict[str, Any]:
        return requests.get(f"{self.url}/_control/stats", timeout=30).json()

    def warm_up(self) -> None:
        """Build the stand-in's log-entry index before anything is timed."""
        from pagerduty_standin import DEFAULT_API_KEY

        requests.get(
            f"{self.url}/log_entries",
            params={"limit": 1, "is_overview": "true"},
            headers={"Authorization": f"Token token={DEFAULT_API_KEY}"},
            timeout=120,
        ).raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_child(arguments: list[str], environment: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.sync", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line.removeprefix("BENCH_RESULT "))
    raise RuntimeError(
        f"bench.sync {' '.join(arguments)} failed:\n{completed.stdout}\n{completed.stderr}"
    )


# --------------------------------------------------------------------------------- reporting


def minimum_requests(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """Σ⌈n/page size⌉ per listing a full sync reads (licenses are one unpaginated request)."""

    def pages(resource: str, page_size: int = PAGE_SIZE) -> int:
        return max(1, math.ceil(counts.get(resource, {}).get("seen", 0) / page_size))

    return {
        "/services": pages("services"),
        "/priorities": pages("priorities"),
        "/licenses": 1,
        "/license_allocations": pages("license_allocations"),
        "/users": pages("users"),
        "/analytics/raw/users": pages("sign_ins", ANALYTICS_PAGE_SIZE),
        "/incidents": pages("incidents"),
        "/log_entries": pages("status_changes"),
        "/notifications": pages("notifications"),
    }


def print_request_table(run: dict[str, Any]) -> tuple[int, int]:
    minimum = minimum_requests(run["counts"])
    actual = run["requests_by_path"]
    print(f"  {'path':<40}{'records':>10}{'requests':>10}{'minimum':>10}{'ratio':>8}")
    resource_of = {
        "/services": "services",
        "/priorities": "priorities",
        "/licenses": "licenses",
        "/license_allocations": "license_allocations",
        "/users": "users",
        "/analytics/raw/users": "sign_ins",
        "/incidents": "incidents",
        "/log_entries": "status_changes",
        "/notifications": "notifications",
    }
    for path in sorted(
        set(minimum) | set(actual),
        key=lambda p: list(resource_of).index(p) if p in resource_of else 99,
    ):
        records = run["counts"].get(resource_of.get(path, ""), {}).get("seen", "")
        made = actual.get(path, 0)
        floor = minimum.get(path, 0)
        ratio = f"{made / floor:.3f}" if floor else "—"
        print(f"  {path:<40}{records!s:>10}{made:>10}{floor:>10}{ratio:>8}")
    total_made = sum(actual.values())
    total_minimum = sum(minimum.values())
    print(
        f"  {'total':<40}{run['records']:>10}{total_made:>10}{total_minimum:>10}"
        f"{total_made / total_minimum:>8.3f}"
    )
    return total_made, total_minimum


def verdict(ok: bool) -> str:
    return "meets the goal" if ok else "MISSES the goal"


def sql_per_100(run: dict[str, Any]) -> float:
    return 100 * run["sql_statements"] / max(1, run["records"])


# --------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--small-incidents", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--resolve", type=int, default=100, help="open incidents to resolve")
    parser.add_argument("--remove-users", type=int, default=10)
    parser.add_argument("--skip-checks", action="store_true", help="skip bench.evaluate_checks")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="added to every stand-in answer, to see the sync against a slower, more real API",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    server_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL
    if not server_url.startswith(("postgres://", "postgresql://")):
        print("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    database_url = django_on_fresh_database(server_url)
    environment = child_environment(database_url)

    from integrations.models import (
        AuthType,
        Connection,
        IncidentStatus,
        RemoteAccount,
        RemoteIncident,
    )
    from pagerduty_standin import DEFAULT_API_KEY
    from tenants.models import Organization

    with ExitStack() as stack:
        large = Standin(
            incidents=args.incidents,
            users=args.users,
            services=args.services,
            subdomain="bench-large",
            environment=environment,
            latency_ms=args.latency_ms,
        )
        stack.callback(large.stop)
        small = Standin(
            incidents=args.small_incidents,
            users=args.users,
            services=args.services,
            subdomain="bench-small",
            environment=environment,
            latency_ms=args.latency_ms,
        )
        stack.callback(small.stop)
        large.wait_ready()
        small.wait_ready()
        large.warm_up()
        small.warm_up()
        print(
            f"Stand-ins: {args.incidents:,} and {args.small_incidents:,} incidents, "
            f"{args.users:,} users, {args.services} services; rate limit OFF, request budget "
            "OFF, client never sleeps (we measure our cost, not throttling); added latency "
            f"{args.latency_ms} ms per request."
        )

        def connection_for(standin: Standin) -> Connection:
            organization = Organization.objects.create(
                name=f"Bench {standin.subdomain}", slug=standin.subdomain
            )
            return Connection.objects.create(
                organization=organization,
                auth_type=AuthType.API_KEY,
                api_key=DEFAULT_API_KEY,
                subdomain=standin.subdomain,
                purposes=["incident_management", "access_management", "spend"],
            )

        large_connection = connection_for(large)
        small_connection = connection_for(small)
        large_env = child_environment(database_url, large.url)
        small_env = child_environment(database_url, small.url)

        print("\n[1/5] fetch-only baseline (the full sync's pages, no database work) ...")
        baseline = run_child(["fetch", "--connection", str(large_connection.pk)], large_env)
        print(f"      {baseline['request_count']} requests in {baseline['wall_seconds']:.1f} s")

        print("[2/5] full sync, 100% of the account ...")
        full = run_child(
            ["sync", "--connection", str(large_connection.pk), "--trigger", "manual", "--full"],
            large_env,
        )
        print(f"      {full['status']} in {full['wall_seconds']:.1f} s {full['error']}")

        print(f"[3/5] full sync of the {args.small_incidents:,}-incident account (peak RSS) ...")
        small_full = run_child(
            ["sync", "--connection", str(small_connection.pk), "--trigger", "manual", "--full"],
            small_env,
        )
        print(f"      {small_full['status']} in {small_full['wall_seconds']:.1f} s")

        print("[4/5] unchanged scheduled incremental sync ...")
        unchanged = run_child(
            ["sync", "--connection", str(large_connection.pk), "--trigger", "schedule"], large_env
        )
        print(f"      {unchanged['status']} in {unchanged['wall_seconds']:.1f} s")

        open_incidents = RemoteIncident.objects.filter(
            connection=large_connection,
            status__in=[IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED],
        )
        open_before = open_incidents.count()
        for external_id in open_incidents.order_by("created_at_remote").values_list(
            "external_id", flat=True
        )[: args.resolve]:
            large.control(f"/incidents/{external_id}/resolve", {"note": "Fixed; no data loss."})
        for external_id in (
            RemoteAccount.objects.filter(connection=large_connection, removed_at__isnull=True)
            .order_by("pk")
            .values_list("external_id", flat=True)[: args.remove_users]
        ):
            large.control(f"/users/{external_id}/remove")
        time.sleep(1.1)  # the changes land in an earlier second than the sync's start
        print(
            f"[5/5] 'Sync now' after resolving the {args.resolve} oldest open incidents and "
            f"removing {args.remove_users} users ..."
        )
        changed = run_child(
            ["sync", "--connection", str(large_connection.pk), "--trigger", "manual"], large_env
        )
        print(f"      {changed['status']} in {changed['wall_seconds']:.1f} s")
        resolved_now = RemoteIncident.objects.filter(
            connection=large_connection, status=IncidentStatus.RESOLVED
        ).count()
        removed_now = RemoteAccount.objects.filter(
            connection=large_connection, removed_at__isnull=False
        ).count()
        summary = large.summary()

    report(
        args=args,
        baseline=baseline,
        full=full,
        small_full=small_full,
        unchanged=unchanged,
        changed=changed,
        open_before=open_before,
        summary=summary,
        resolved_now=resolved_now,
        removed_now=removed_now,
    )
    print(f"\nBenchmark finished in {time.perf_counter() - started:.0f} s.")

    if not args.skip_checks and importlib.util.find_spec("bench.evaluate_checks") is not None:
        print("\n=== Checks evaluation benchmark (bench.evaluate_checks) ===")
        from bench import evaluate_checks

        return evaluate_checks.main([]) or 0
    return 0


def report(
    *,
    args: argparse.Namespace,
    baseline: dict[str, Any],
    full: dict[str, Any],
    small_full: dict[str, Any],
    unchanged: dict[str, Any],
    changed: dict[str, Any],
    open_before: int,
    summary: dict[str, Any],
    resolved_now: int,
    removed_now: int,
) -> None:
    print("\n=== Sync benchmark ===")
    print(
        f"\nFull sync: {full['records']:,} records ({full['counts']['incidents']['seen']:,} incidents, "
        f"{full['counts']['status_changes']['seen']:,} log entries)."
    )
    print("PagerDuty requests per resource vs the minimum Σ⌈n/page size⌉:")
    made, minimum = print_request_table(full)
    per_incident = sum(full["requests_by_path"].get(path, 0) for path in PER_INCIDENT_PATHS)
    ratio = made / minimum
    print(
        f"  → {ratio:.3f} × minimum ({verdict(ratio <= GOAL_REQUEST_RATIO)} ≤ {GOAL_REQUEST_RATIO}); "
        f"per-incident requests: {per_incident}"
    )

    wall_ratio = full["wall_seconds"] / baseline["wall_seconds"]
    print(
        f"\nFull-sync wall time {full['wall_seconds']:.1f} s vs fetch-only {baseline['wall_seconds']:.1f} s "
        f"({baseline['request_count']} requests): {wall_ratio:.2f} × "
        f"({verdict(wall_ratio <= GOAL_WALL_RATIO)} ≤ {GOAL_WALL_RATIO})"
    )
    print(
        f"SQL statements: {full['sql_statements']:,} for {full['records']:,} records = "
        f"{sql_per_100(full):.2f} per 100 records synced"
    )
    flat = small_full["peak_rss_mb"] * 1.2 >= full["peak_rss_mb"]
    print(
        f"Peak RSS of the sync process: {full['peak_rss_mb']:.0f} MB at {args.incidents:,} incidents, "
        f"{small_full['peak_rss_mb']:.0f} MB at {args.small_incidents:,} "
        f"({verdict(full['peak_rss_mb'] < GOAL_PEAK_RSS_MB and flat)}: < {GOAL_PEAK_RSS_MB} MB and flat)"
    )
    print(f"  (the fetch-only process peaked at {baseline['peak_rss_mb']:.0f} MB)")

    open_pages = math.ceil(open_before / PAGE_SIZE)
    print(
        f"\nUnchanged scheduled incremental sync: {unchanged['request_count']} requests "
        f"({', '.join(f'{path} {count}' for path, count in sorted(unchanged['requests_by_path'].items()))}); "
        f"{open_before:,} open incidents → ⌈open/100⌉ = {open_pages}, so "
        f"{unchanged['request_count'] - open_pages} on top; {unchanged['wall_seconds']:.1f} s, "
        f"{unchanged['sql_statements']} SQL statements"
    )
    changes = {
        resource: figures
        for resource, figures in changed["counts"].items()
        if figures.get("created") or figures.get("updated") or figures.get("removed")
    }
    print(
        f"Sync after {args.resolve} resolved + {args.remove_users} removed users (trigger 'Sync now', "
        f"so users are re-read): {changed['request_count']} requests "
        f"({', '.join(f'{path} {count}' for path, count in sorted(changed['requests_by_path'].items()))}); "
        f"{changed['wall_seconds']:.1f} s"
    )
    print(f"  changes recorded: {json.dumps(changes)}")
    expected_resolved = summary["incidents_by_status"]["resolved"]
    print(
        f"  data library now: {resolved_now:,} resolved incidents (stand-in: {expected_resolved:,}), "
        f"{removed_now} removed users (stand-in: {summary['users_removed']})"
    )
    for run in (full, small_full, unchanged, changed):
        if run["status"] != "succeeded":
            print(f"  !! a sync failed: {run['error']}")


if __name__ == "__main__":
    raise SystemExit(main())
