"""The benchmarks' data: a PostgreSQL database made ready for them, organisations with generated
incidents (services, priorities, a few data-loss notes and reviews, check-ready) or with PagerDuty
accounts and staff (the access checks), loaded in bulk, and removed again. Every organisation
made here has a slug starting with `SLUG_PREFIX`; nothing else is touched."""

import os
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

SLUG_PREFIX = "bench-eval-"
INSERT_BATCH_SIZE = 5000
SERVICES_PER_ORG = 5
PRIORITY_NAMES = ("P1", "P2", "P3", "P4")
DATA_LOSS_NOTE = "Confirmed data loss: some order records were not persisted."
RESOLUTION_NOTE = "Resolved after restarting the stuck consumer."


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
