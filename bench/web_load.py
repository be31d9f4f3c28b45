"""Web load: 50 signed-in users on the main pages, against gunicorn on PostgreSQL (locust).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprintolike_bench_web DJANGO_DEBUG=1 \\
        .venv/bin/python -m bench.web_load [--incidents 20000] [--users 50] [--seconds 60]

Loads one organisation (bench.dataset's generator) with ``--users`` members into
its own database, starts gunicorn with ``gunicorn.conf.py`` (production settings, except that
cookies may travel over plain HTTP on loopback: ``bench/web_settings.py``), and runs locust
headless (``bench/locustfile.py``: members signed in ahead browse incidents, filters, search, incident pages,
Monitoring, check pages, the dashboard, 0.5-1.5 s apart). Prints throughput, failures and the
p50/p95 of each page as locust measured them (network on loopback included).
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-web-load-password-2026"
GOAL_P95_MILLISECONDS = 150


def _free_port() -> int:
    with closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prepare(incidents: int, users: int) -> tuple[str, list[int], list[str], list[str], int]:
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from bench import dataset
    from checks.evaluation import organization_evaluate
    from checks.registry import check_list
    from integrations.models import RemoteIncident
    from tenants.models import Membership, Organization

    slug = f"{dataset.SLUG_PREFIX}web-0"
    organization = Organization.objects.filter(slug=slug).first()
    if (
        organization is not None
        and RemoteIncident.objects.filter(organization=organization).count() != incidents
    ):
        organization = None  # loaded for another size: load again
    if organization is None:
        dataset.delete_previous_run()
        now = timezone.now().replace(microsecond=0)
        (organization_id,) = dataset.create_organizations(
            label="web", count=1, incidents_per_org=incidents, now=now, seed=3
        )
        organization = Organization.objects.get(pk=organization_id)
        organization_evaluate(organization=organization, now=now)
        dataset.analyze_tables()
    password = make_password(PASSWORD)
    user_model = get_user_model()
    for number in range(users):
        email = f"bench-web-{number}@example.com"
        user, _ = user_model.objects.get_or_create(
            email=email, defaults={"username": f"bench-web-{number}", "password": password}
        )
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        Membership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": "member"}
        )
    from django.conf import settings as django_settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    # Signed in ahead (as the login view would): the run measures pages, not password hashing.
    session_keys = []
    for number in range(users):
        user = user_model.objects.get(email=f"bench-web-{number}@example.com")
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = django_settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        session_keys.append(session.session_key)
    incident_ids = list(
        RemoteIncident.objects.filter(organization=organization)
        .order_by("?")
        .values_list("pk", flat=True)[:200]
    )
    incident_count = RemoteIncident.objects.filter(organization=organization).count()
    codes = [check.code for check in check_list()]
    return slug, incident_ids, codes, session_keys, incident_count


def _read_stats(prefix: str) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as stats_file:
        return list(csv.DictReader(stats_file))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.web_load", description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--gunicorn-workers", type=int, default=0, help="default: the config's")
    args = parser.parse_args(argv)

    from bench import dataset

    dataset.setup_django()
    from django.db import connection

    slug, incident_ids, check_codes, session_keys, incident_count = _prepare(
        args.incidents, args.users
    )
    connection.close()
    port = _free_port()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.web_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-web-load-secret-key-not-for-production",
        "CREDENTIALS_ENCRYPTION_KEYS": "q2XbZ3i5xW8X2gD9S8k4c3H1u1jzq9L4j8l6p0kP5mE=",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    if args.gunicorn_workers:
        environment["GUNICORN_WORKERS"] = str(args.gunicorn_workers)
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "sprintolike.wsgi"],
        cwd=ROOT,
        env={**environment, "GUNICORN_ACCESS_LOG": ""},
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(tempfile.gettempdir(), "bench-web-load-gunicorn.log"), "w"),  # noqa: SIM115
    )
    host = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{host}/accounts/login/", timeout=20).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            raise RuntimeError("gunicorn did not start")
        with tempfile.TemporaryDirectory() as directory:
            prefix = os.path.join(directory, "load")
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(ROOT / "bench" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(args.users),
                    "--spawn-rate",
                    str(max(args.users // 5, 1)),
                    "--run-time",
                    f"{args.seconds}s",
                    "--host",
                    host,
                    "--csv",
                    prefix,
                    "--only-summary",
                    "--reset-stats",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env={
                    **os.environ,
                    "BENCH_ORG_SLUG": slug,
                    "BENCH_PASSWORD": PASSWORD,
                    "BENCH_USER_COUNT": str(args.users),
                    "BENCH_INCIDENT_IDS": ",".join(map(str, incident_ids)),
                    "BENCH_CHECK_CODES": ",".join(check_codes),
                    "BENCH_SESSION_KEYS": ",".join(session_keys),
                },
                check=False,
                timeout=args.seconds + 120,
                stdout=subprocess.DEVNULL,
            )
            rows = _read_stats(prefix)
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()

    print(
        f"\n=== Web load: {args.users} signed-in users for {args.seconds} s, gunicorn "
        f"({environment.get('GUNICORN_WORKERS', 'config default')} workers) on PostgreSQL, "
        f"{incident_count:,} incidents ==="
    )
    header = (
        f"{'page':<22} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['Name']:<22} {int(row['Request Count']):>9} {int(row['Failure Count']):>9} "
            f"{float(row['Requests/s']):>7.1f} {row['50%']:>7} {row['95%']:>7}"
        )
    aggregated = next(row for row in rows if row["Name"] == "Aggregated")
    p95 = float(aggregated["95%"])
    print(
        f"\nThroughput {float(aggregated['Requests/s']):.1f} requests/s, p95 {p95:.0f} ms "
        f"(goal ≤ {GOAL_P95_MILLISECONDS} ms: {'met' if p95 <= GOAL_P95_MILLISECONDS else 'MISSED'}), "
        f"{aggregated['Failure Count']} failures."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
