"""Rows the Spend pages render: a service's figures for the list, a member's readable status,
and the Usage tab's charts and table (from the stored rollups)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from integrations.models import RemoteAccount, RemoteSeatCount
from spend import rules
from spend.models import SaasService, UsageMonth
from spend.selectors import (
    inactive_days,
    member_counts,
    service_list,
    service_tier_figures,
    usage_months,
)
from tenants.models import Organization

CHART_MONTHS = 12


@dataclass
class ServiceRow:
    service: SaasService
    tiers: list[rules.TierFigures]
    monthly_spend_cents: int
    seats_used: int
    seats_bought: int | None
    active_members: int
    cost_per_active_user_cents: int | None
    renewal_due: bool
    priced: bool


def service_rows(*, organization: Organization, today: date) -> list[ServiceRow]:
    rows = []
    for service in service_list(organization=organization).prefetch_related("tiers"):
        tiers = [figures for _, figures in service_tier_figures(service=service)]
        spend = rules.monthly_spend_cents(tiers)
        seats_used = sum(tier.seats_used for tier in tiers)
        bought = [tier.seats_bought for tier in tiers if tier.seats_bought is not None]
        active = member_counts(service=service)["active"] if service.is_pagerduty else seats_used
        rows.append(
            ServiceRow(
                service=service,
                tiers=tiers,
                monthly_spend_cents=spend,
                seats_used=seats_used,
                seats_bought=sum(bought) if bought else None,
                active_members=active,
                cost_per_active_user_cents=rules.cost_per_active_user_cents(spend, active),
                renewal_due=rules.renewal_is_due(
                    service.renewal_date, today=today, notice_days=service.renewal_notice_days
                ),
                priced=all(tier.price_per_seat_cents is not None for tier in tiers),
            )
        )
    return rows


@dataclass
class MemberRow:
    account: RemoteAccount
    status: str
    status_text: str
    on_call_text: str


def _on_call_text(account: RemoteAccount) -> str:
    if account.on_schedule is None and account.on_escalation_policy is None:
        return "unknown"
    places = []
    if account.on_schedule:
        places.append("schedule")
    if account.on_escalation_policy:
        places.append("escalation policy")
    return ", ".join(places).capitalize() if places else "No"


def member_rows(accounts: Iterable[RemoteAccount], *, now: datetime) -> Iterable[MemberRow]:
    """Each account (annotated by ``member_list``) with its status in words."""
    for account in accounts:
        status = account.member_status
        if status == "inactive":
            if account.last_sign_in_at is None:
                text = "Inactive (never signed in)"
            else:
                text = f"Inactive {(now - account.last_sign_in_at).days} days"
        else:
            text = status.capitalize()
        yield MemberRow(account, status, text, _on_call_text(account))


def _series(rows: list[UsageMonth], field: str) -> list[tuple[str, int | None]]:
    return [(f"{row.month:%b %y}", getattr(row, field)) for row in rows]


def usage_page(*, service: SaasService) -> dict[str, Any]:
    """Charts for the last 12 months and a table of every month with synced data."""
    rows = usage_months(service=service)
    recent = rows[-CHART_MONTHS:]
    charts = [
        ("incidents", "Incidents created per month", _series(recent, "incidents")),
        ("alerts", "Alerts per month", _series(recent, "alerts")),
        ("billable", "Billable alerts (SMS + phone) per month", _series(recent, "billable_alerts")),
        ("notifications", "Notifications sent per month", _series(recent, "notifications")),
        ("peak", "Peak seats per month", _series(recent, "peak_seats")),
    ]
    first_seat_day = None
    if service.connection_id:
        first_seat_day = (
            RemoteSeatCount.objects.filter(connection_id=service.connection_id)
            .order_by("day")
            .values_list("day", flat=True)
            .first()
        )
    return {
        "usage_rows": list(reversed(rows)),
        "charts": charts,
        "notifications_missing": any(row.notifications is None for row in rows),
        "first_seat_day": first_seat_day,
        "inactive_days": inactive_days(),
    }
