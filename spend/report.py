"""The stable report ``manage.py spend_report --json`` prints (and the list page's figures)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from spend import rules
from spend.models import SaasService, UsageMonth
from spend.selectors import (
    member_counts,
    service_insights,
    service_list,
    service_tier_figures,
    spend_currency,
    usage_months,
)
from tenants.models import Organization


def service_figures(
    *, service: SaasService, currency: str, now: datetime | None = None
) -> dict[str, Any]:
    """Tiers, seats, monthly spend and member counts of one service: a query for its tiers
    (none when prefetched) and, for the one integrated PagerDuty service, two aggregates."""
    now = now or timezone.now()
    tiers = [figures for _, figures in service_tier_figures(service=service)]
    return {
        "name": service.name,
        "integrated": bool(service.is_pagerduty and service.connection_id),
        "currency": currency,
        "tiers": [
            {
                "name": tier.name,
                "role_group": tier.role_group,
                "seats_used": tier.seats_used,
                "seats_bought": tier.seats_bought,
                "price_per_seat_cents": tier.price_per_seat_cents,
            }
            for tier in tiers
        ],
        "monthly_spend_cents": rules.monthly_spend_cents(tiers),
        "members": member_counts(service=service, now=now),
    }


def usage_row(month: UsageMonth) -> dict[str, Any]:
    """One month of usage as the report and the API give it (nulls: not available)."""
    return {
        "month": f"{month.month:%Y-%m}",
        "incidents": month.incidents,
        "alerts": month.alerts,
        "billable_alerts": month.billable_alerts,
        "notifications": month.notifications,
        "peak_seats": month.peak_seats,
    }


def service_report(
    *, service: SaasService, currency: str, now: datetime | None = None
) -> dict[str, Any]:
    """`service_figures` with the service's monthly usage and savings insights."""
    now = now or timezone.now()
    figures = service_figures(service=service, currency=currency, now=now)
    insights = service_insights(service=service, now=now).insights if figures["integrated"] else []
    return {
        **figures,
        "usage": [usage_row(month) for month in usage_months(service=service)],
        "insights": [
            {
                "code": insight.code,
                "title": insight.title,
                "count": insight.count,
                "monthly_saving_cents": insight.monthly_saving_cents,
            }
            for insight in insights
        ],
    }


def spend_report(*, organization: Organization, now: datetime | None = None) -> dict[str, Any]:
    currency = spend_currency(organization=organization)
    return {
        "organization": organization.slug,
        "services": [
            service_report(service=service, currency=currency, now=now)
            for service in service_list(organization=organization).prefetch_related("tiers")
        ],
    }
