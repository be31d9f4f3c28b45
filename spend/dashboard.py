"""What spend puts on the dashboard: the monthly spend, the potential saving the insights
found and renewals due (a few queries per service, none per member), and the "Price PagerDuty"
setup step."""

from typing import Any

from django.db import connection as db_connection
from django.db.models import Max, OuterRef, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from spend.models import InsightFinding, SaasService, ServiceTier
from spend.overview import service_rows
from spend.selectors import spend_currency


def open_saving_cents(*, organization: Any) -> int:
    """The monthly saving of the accounts the latest insights named (each account once, at its
    largest saving), summed in SQL from the recorded findings."""
    latest = (
        InsightFinding.objects.filter(service=OuterRef("service"))
        .values("service")
        .annotate(latest=Max("last_named_at"))
        .values("latest")
    )
    per_account = (
        InsightFinding.objects.filter(organization=organization, realized_at__isnull=True)
        .filter(last_named_at=Subquery(latest))
        .values("service", "account")
        .annotate(saving=Max("monthly_saving_cents"))
        .values("saving")
    )
    sql, params = per_account.query.sql_with_params()
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(saving), 0) FROM ({sql}) AS per_account", params)
        return int(cursor.fetchone()[0])


def spend_headline_context(request: HttpRequest) -> dict[str, Any] | None:
    organization = request.organization
    rows = service_rows(organization=organization, today=timezone.localdate())
    if not rows:
        return None  # the setup checklist says "Price PagerDuty under Spend"
    return {
        "currency": spend_currency(organization=organization),
        "monthly_cents": sum(row.monthly_spend_cents for row in rows),
        "service_count": len(rows),
        "unpriced": [row.service for row in rows if not row.priced],
        # As the Insights pages count it: seats bought beyond those in use, plus the accounts
        # the insights named at the last refresh (after each sync).
        "saving_cents": open_saving_cents(organization=organization)
        + sum(
            tier.unused_seats * (tier.price_per_seat_cents or 0)
            for row in rows
            for tier in row.tiers
        ),
        "insights_service": rows[0].service if len(rows) == 1 else None,
        "renewals": [row.service for row in rows if row.renewal_due],
    }


def pagerduty_priced(organization: Any) -> bool:
    service = SaasService.objects.filter(organization=organization, catalog_key="pagerduty")
    return (
        service.exists()
        and not ServiceTier.objects.filter(
            service__in=service, price_per_seat_cents__isnull=True
        ).exists()
    )


def price_url(organization: Any) -> str:
    service = (
        SaasService.objects.filter(organization=organization, catalog_key="pagerduty")
        .values_list("pk", flat=True)
        .first()
    )
    if service is None:
        return reverse("spend:catalog", args=[organization.slug])
    return reverse("spend:service_settings", args=[organization.slug, service])
