"""The sync against a PagerDuty-like API: 150 ms a request and PagerDuty's 960 requests a minute.

    python -m bench.rate_limited [--incidents 10000] [--latency-ms 150] [--rate-limit 960]

Starts one stand-in with ``--latency-ms`` and ``--rate-limit-per-minute`` (PagerDuty's real
limit), recreates its own database (``sprintolike_bench_rate``), and runs a full sync in a
fresh process with the production client: the request budget (``PAGERDUTY_REQUESTS_PER_MINUTE``,
900 by default) and ``PAGERDUTY_MAX_IN_FLIGHT`` requests in flight, real sleeps. It prints the
wall time against the rate-limit minimum, requests / 16 per second (the goal is ≤ 1.15), and the
429s the stand-in had to answer.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from contextlib import ExitStack

from bench.run import (
    DEFAULT_SERVER_URL,
    Standin,
    child_environment,
    django_on_fresh_database,
    run_child,
    verdict,
)

DATABASE_NAME = "sprintolike_bench_rate"
GOAL_RATE_LIMIT_RATIO = 1.15


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.rate_limited", description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--rate-limit", type=int, default=960, help="stand-in requests a minute")
    args = parser.parse_args(argv)

    server_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL
    database_url = django_on_fresh_database(server_url, DATABASE_NAME)
    environment = child_environment(database_url)
    from django.conf import settings

    from integrations.models import AuthType, Connection
    from pagerduty_standin import DEFAULT_API_KEY
    from tenants.models import Organization

    with ExitStack() as stack:
        standin = Standin(
            incidents=args.incidents,
            users=args.users,
            services=args.services,
            subdomain="bench-rate",
            environment=environment,
            latency_ms=args.latency_ms,
            rate_limit_per_minute=args.rate_limit,
        )
        stack.callback(standin.stop)
        standin.wait_ready()
        standin.warm_up()
        # The warm-up request counts in the stand-in's first window; start from a fresh one.
        time.sleep(61)
        organization = Organization.objects.create(name="Bench rate", slug="bench-rate")
        connection = Connection.objects.create(
            organization=organization,
            auth_type=AuthType.API_KEY,
            api_key=DEFAULT_API_KEY,
            subdomain="bench-rate",
            purposes=["incident_management", "access_management", "spend"],
        )
        print(
            f"Stand-in: {args.incidents:,} incidents, {args.users:,} users, {args.services} "
            f"services; {args.latency_ms} ms per request, rate limit {args.rate_limit}/min. "
            f"Client: budget {settings.PAGERDUTY_REQUESTS_PER_MINUTE}/min, "
            f"{settings.PAGERDUTY_MAX_IN_FLIGHT} requests in flight."
        )
        before = standin.stats()
        result = run_child(
            [
                "sync",
                "--connection",
                str(connection.pk),
                "--trigger",
                "manual",
                "--full",
                "--paced",
            ],
            child_environment(database_url, standin.url),
        )
        after = standin.stats()

    requests_made = result["request_count"]
    minimum_seconds = requests_made / (args.rate_limit / 60)
    ratio = result["wall_seconds"] / minimum_seconds
    rate_limited = after.get("by_status", {}).get("429", 0) - before.get("by_status", {}).get(
        "429", 0
    )
    print("\n=== Sync at PagerDuty's rate limit ===")
    print(
        f"Full sync {result['status']}: {result['records']:,} records, {requests_made} requests "
        f"in {result['wall_seconds']:.1f} s; minimum at {args.rate_limit}/min = "
        f"{minimum_seconds:.1f} s → {ratio:.2f} × "
        f"({verdict(ratio <= GOAL_RATE_LIMIT_RATIO)} ≤ {GOAL_RATE_LIMIT_RATIO})"
    )
    print(
        f"  {requests_made / result['wall_seconds']:.1f} requests a second; 429 answers: "
        f"{rate_limited}; time spent backing off {result['slept_seconds']:.1f} s; peak RSS "
        f"{result['peak_rss_mb']:.0f} MB; {result['error']}"
    )
    return 0 if result["status"] == "succeeded" else 1


if __name__ == "__main__":
    raise SystemExit(main())
