"""Page benchmark: server time and SQL queries of the main pages at 200,000 incidents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprintolike_bench_pages DJANGO_DEBUG=1 \\
        .venv/bin/python -m bench.pages [--incidents 200000] [--repeat 20] [--keep]

Loads one organisation with ``--incidents`` incidents (the evaluation benchmark's generator:
88% resolved, 12% open, priorities, services, a few data-loss notes and reviews) into its
PostgreSQL database (created when missing), evaluates its checks once, ANALYZEs, then renders
each page ``--repeat`` times in-process with Django's test client as a signed-in member and
prints p50/p95 of the server time (request in, response rendered: no network) and the SQL
queries of one request. The goal is 150 ms at p95. Access and Spend tabs are measured too
when those apps have pages (every GET page of theirs that takes only the organisation).
With ``--keep`` the data stays for another run (loading takes minutes).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

GOAL_MILLISECONDS = 150.0
PAGE_SIZE = 50


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _load(incidents: int) -> int:
    from django.utils import timezone

    from bench import evaluate_checks
    from checks.evaluation import organization_evaluate
    from tenants.models import Organization

    existing = Organization.objects.filter(slug=f"{evaluate_checks.SLUG_PREFIX}pages-0").first()
    if existing is not None:
        print(f"Reusing the loaded organisation ({existing.slug}).")
        return existing.pk
    evaluate_checks.delete_previous_run()
    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    (organization_id,) = evaluate_checks.create_organizations(
        label="pages", count=1, incidents_per_org=incidents, now=now, seed=7
    )
    evaluate_checks.analyze_tables()
    print(f"Loaded {incidents:,} incidents in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    organization_evaluate(organization=Organization.objects.get(pk=organization_id), now=now)
    evaluate_checks.analyze_tables()
    print(f"Evaluated its checks in {time.perf_counter() - started:.0f} s")
    return organization_id


def _org_pages_of(namespace: str, slug: str) -> list[tuple[str, str]]:
    """Every page of an app's URL namespace that takes only the organisation's slug."""
    from django.urls import NoReverseMatch, get_resolver, reverse

    resolver = get_resolver()
    pages = []
    for namespace_name, (_prefix, sub_resolver) in resolver.namespace_dict.items():
        if namespace_name != namespace:
            continue
        for key in sub_resolver.reverse_dict:
            if not isinstance(key, str):
                continue
            try:
                url = reverse(f"{namespace}:{key}", args=[slug])
            except NoReverseMatch:
                continue
            if any(word in key for word in ("export", "csv", "create", "delete", "new", "edit")):
                continue
            pages.append((f"{namespace}: {key}", url))
    return sorted(set(pages))


def _measure(
    client: Any, url: str, params: dict[str, str], repeat: int
) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, params)  # warm caches and connections
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    return timings, len(captured.captured_queries), response.status_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.pages", description=__doc__.split("\n")[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the data for another run")
    args = parser.parse_args(argv)

    from bench import evaluate_checks

    evaluate_checks.setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from checks.registry import check_list
    from integrations.models import IncidentStatus, RemoteIncident, RemoteService
    from tenants.models import Membership, Organization

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    organization = Organization.objects.get(pk=_load(args.incidents))
    user, _ = get_user_model().objects.get_or_create(
        email="bench-pages@example.com", defaults={"username": "bench-pages"}
    )
    Membership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": "member"}
    )
    client = Client()
    client.force_login(user)
    slug = organization.slug
    incidents = RemoteIncident.objects.filter(organization=organization)
    deep_offset = min(900 * PAGE_SIZE, incidents.count() - PAGE_SIZE) - 1
    deep = (
        incidents.order_by("-created_at_remote", "-pk")
        .values_list("created_at_remote", "pk")[deep_offset : deep_offset + 1]
        .get()
    )
    sample = incidents.filter(status=IncidentStatus.RESOLVED).order_by("pk").first()
    service = RemoteService.objects.filter(organization=organization).first()
    incident_list = reverse("incidents:incident_list", args=[slug])
    pages: list[tuple[str, str, dict[str, str]]] = [
        ("Incidents", incident_list, {}),
        ("Incidents: status open (triggered)", incident_list, {"status": "triggered"}),
        ("Incidents: low urgency", incident_list, {"severity": "urgency:low"}),
        ("Incidents: one source", incident_list, {"source": str(service.pk)}),
        ("Incidents: failing only", incident_list, {"failing": "on"}),
        ("Incidents: data loss yes", incident_list, {"data_loss": "no"}),
        ("Incidents: to review", incident_list, {"data_loss": "to_review"}),
        (
            "Incidents: reported in March",
            incident_list,
            {"created_from": "2026-03-01", "created_to": "2026-03-31"},
        ),
        (
            "Incidents: page 900 (keyset)",
            incident_list,
            {"after": f"{deep[0].isoformat()}~{deep[1]}"},
        ),
        ("Incidents: search, rare title", incident_list, {"q": "Incident 123457"}),
        ("Incidents: search, common words", incident_list, {"q": "Incident 12"}),
        ("Incidents: search by number", incident_list, {"q": "#4242"}),
        ("Incident page", reverse("incidents:incident_detail", args=[slug, sample.pk]), {}),
        ("Monitoring", reverse("checks:monitoring", args=[slug]), {}),
    ]
    for check in check_list():
        pages.append(
            (
                f"Monitoring: {check.code}",
                reverse("checks:check_detail", args=[slug, check.code]),
                {},
            )
        )
    for namespace in ("access", "spend"):
        for label, url in _org_pages_of(namespace, slug):
            pages.append((label, url, {}))

    total = incidents.count()
    print(f"\n=== Pages at {total:,} incidents (PostgreSQL, {args.repeat} requests each) ===")
    header = f"{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}  goal p95 ≤ {GOAL_MILLISECONDS:g} ms"
    print(header)
    print("-" * len(header))
    missed = 0
    measure: Callable[..., tuple[list[float], int, int]] = _measure
    for label, url, params in pages:
        timings, queries, status = measure(client, url, params, args.repeat)
        p50, p95 = statistics.median(timings), _percentile(timings, 0.95)
        verdict = "met" if p95 <= GOAL_MILLISECONDS and status == 200 else "MISSED"
        missed += verdict != "met"
        note = "" if status == 200 else f" (HTTP {status})"
        print(f"{label:<46} {p50:>8.1f} {p95:>8.1f} {queries:>8}  {verdict}{note}")
    print(f"\n{len(pages) - missed} of {len(pages)} pages within the goal.")
    if not args.keep:
        evaluate_checks.delete_previous_run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
