"""Page benchmark: server time and SQL queries of the main pages at 200,000 incidents.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sprintolike_bench_pages DJANGO_DEBUG=1 \\
        .venv/bin/python -m bench.pages [--incidents 200000] [--repeat 20] [--keep]

Loads one organisation with ``--incidents`` incidents (bench.dataset's generator:
88% resolved, 12% open, priorities, services, a few data-loss notes and reviews) into its
PostgreSQL database (created when missing), evaluates its checks once, ANALYZEs, then renders
each page ``--repeat`` times in-process with Django's test client as a signed-in member and
prints p50/p95 of the server time (request in, response rendered: no network) and the SQL
queries of one request. The goal is 150 ms at p95. A second organisation holds
``--accounts`` PagerDuty accounts and staff (bench.dataset's access generator: role
limits, unknown and offboarded people), PagerDuty added under Spend with two years of usage;
its Access and Spend tabs are measured as an admin. With ``--keep`` the data stays for another
run (loading takes minutes).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

GOAL_MILLISECONDS = 150.0
PAGE_SIZE = 50


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def _load(incidents: int) -> int:
    from django.utils import timezone

    from bench import dataset
    from checks.evaluation import organization_evaluate
    from tenants.models import Organization

    existing = Organization.objects.filter(slug=f"{dataset.SLUG_PREFIX}pages-0").first()
    if existing is not None:
        print(f"Reusing the loaded organisation ({existing.slug}).")
        return existing.pk
    dataset.delete_previous_run()
    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    (organization_id,) = dataset.create_organizations(
        label="pages", count=1, incidents_per_org=incidents, now=now, seed=7
    )
    dataset.analyze_tables()
    print(f"Loaded {incidents:,} incidents in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    organization_evaluate(organization=Organization.objects.get(pk=organization_id), now=now)
    dataset.analyze_tables()
    print(f"Evaluated its checks in {time.perf_counter() - started:.0f} s")
    return organization_id


def _load_access(accounts: int, admin: Any) -> Any:
    """The access organisation: accounts and staff, its checks evaluated, PagerDuty under Spend
    with monthly usage (figures of a busy account, not derived from incidents)."""
    from django.utils import timezone

    from bench import dataset
    from checks.evaluation import organization_evaluate
    from spend.models import UsageMonth
    from spend.rollups import spend_refresh_service
    from spend.services import service_add_pagerduty
    from tenants.models import Organization

    slug = f"{dataset.SLUG_PREFIX}access"
    organization = Organization.objects.filter(slug=slug).first()
    if organization is not None:
        return organization
    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    organization = Organization.objects.get(
        pk=dataset.create_access_organization(accounts=accounts, now=now)
    )
    organization_evaluate(organization=organization, now=now)
    service = service_add_pagerduty(organization=organization, acting_user=admin)
    spend_refresh_service(service=service, now=now)
    month = now.date().replace(day=1)
    for index in range(24):
        UsageMonth.objects.update_or_create(
            service=service,
            month=month,
            defaults={
                "organization": organization,
                "incidents": 900 + 37 * index,
                "alerts": 4000 + 91 * index,
                "billable_alerts": 3100 + 60 * index,
                "notifications": 20_000 + 400 * index,
                "peak_seats": accounts - 3 * index,
            },
        )
        month = (month - timedelta(days=1)).replace(day=1)
    dataset.analyze_tables()
    print(f"Loaded {accounts:,} accounts in {time.perf_counter() - started:.0f} s")
    return organization


def _access_and_spend_pages(organization: Any) -> list[tuple[str, str, dict[str, str]]]:
    from django.urls import reverse

    from access.models import CriticalSystem
    from integrations.models import RemoteAccount
    from spend.models import SaasService
    from tenants.models import StaffMember, StaffStatus

    slug = organization.slug
    system = CriticalSystem.objects.get(organization=organization)
    service = SaasService.objects.get(organization=organization)
    account = RemoteAccount.objects.filter(organization=organization).order_by("pk").first()
    offboarded = StaffMember.objects.filter(
        organization=organization, status=StaffStatus.OFFBOARDED
    ).first()
    from checks.registry import check_list

    accounts_tab = reverse("access:system_accounts", args=[slug, system.pk])
    members_tab = reverse("spend:service_members", args=[slug, service.pk])
    return [
        ("Access", reverse("access:overview", args=[slug]), {}),
        ("Access: summary", reverse("access:system_summary", args=[slug, system.pk]), {}),
        ("Access: staff access", accounts_tab, {}),
        ("Access: staff access, failing", accounts_tab, {"check_status": "failing"}),
        ("Access: staff access, page 100", accounts_tab, {"page": "100"}),
        ("Access: offboarded", reverse("access:system_offboarded", args=[slug, system.pk]), {}),
        ("Access: reviews", reverse("access:system_reviews", args=[slug, system.pk]), {}),
        ("Access: settings", reverse("access:system_settings", args=[slug, system.pk]), {}),
        ("Access: an account", reverse("access:account_detail", args=[slug, account.pk]), {}),
        (
            "Access: offboarded person",
            reverse("access:staff_detail", args=[slug, offboarded.pk]),
            {},
        ),
        *(
            (
                f"Monitoring: {check.code}",
                reverse("checks:check_detail", args=[slug, check.code]),
                {},
            )
            for check in check_list()
            if check.code.startswith("access_")
        ),
        ("Spend", reverse("spend:service_list", args=[slug]), {}),
        ("Spend: members", members_tab, {}),
        ("Spend: members, page 100", members_tab, {"page": "100"}),
        ("Spend: usage", reverse("spend:service_usage", args=[slug, service.pk]), {}),
        ("Spend: insights", reverse("spend:service_insights", args=[slug, service.pk]), {}),
        ("Spend: settings", reverse("spend:service_settings", args=[slug, service.pk]), {}),
    ]


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
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the data for another run")
    args = parser.parse_args(argv)

    from bench import dataset

    dataset.setup_django()
    logging.disable(logging.WARNING)  # a page that answers 403 is reported in the table
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
    access_organization = _load_access(args.accounts, user)
    Membership.objects.get_or_create(
        organization=access_organization, user=user, defaults={"role": "admin"}
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
        ("Incidents: oldest first", incident_list, {"sort": "reported"}),
        ("Incidents: by number, highest first", incident_list, {"sort": "-number"}),
        ("Incidents: by severity", incident_list, {"sort": "severity"}),
        ("Incidents: by severity, reversed", incident_list, {"sort": "-severity"}),
        ("Incidents: by status", incident_list, {"sort": "status"}),
        ("Incidents: by status, reversed", incident_list, {"sort": "-status"}),
        ("Incident page", reverse("incidents:incident_detail", args=[slug, sample.pk]), {}),
        ("Monitoring", reverse("checks:monitoring", args=[slug]), {}),
        ("Dashboard", reverse("tenants:dashboard", args=[slug]), {}),
    ]
    for check in check_list():
        if check.code.startswith("access_"):
            continue  # measured on the access organisation, where they have entities
        pages.append(
            (
                f"Monitoring: {check.code}",
                reverse("checks:check_detail", args=[slug, check.code]),
                {},
            )
        )
    pages += _access_and_spend_pages(access_organization)

    total = incidents.count()
    print(
        f"\n=== Pages at {total:,} incidents and {args.accounts:,} accounts "
        f"(PostgreSQL, {args.repeat} requests each) ==="
    )
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
        dataset.delete_previous_run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
