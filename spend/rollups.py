"""Rollups recomputed after each sync (and when a service is linked), so pages read a handful of
rows instead of aggregating synced records on every view. Each function is idempotent: it
rewrites what it owns from the synced records."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from integrations.models import (
    RemoteAccount,
    RemoteIncident,
    RemoteLicense,
    RemoteNotificationCount,
    RemoteSeatCount,
)
from integrations.pagerduty.sync.steps.usage import BILLABLE_NOTIFICATION_TYPES, seats_by_tier
from spend import rules
from spend.models import InsightFinding, SaasService, ServiceTier, UsageMonth
from spend.selectors import service_insights


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def service_tiers_sync(*, service: SaasService) -> list[ServiceTier]:
    """PagerDuty's tiers come from its licenses (and from accounts' role groups when licenses
    could not be read). A new tier starts at the published list price, with the seats bought
    PagerDuty reports (allocated + still available; none when unlimited)."""
    if not (service.is_pagerduty and service.connection_id):
        return list(service.tiers.all())
    wanted: dict[str, str] = {}
    purchased: dict[str, int] = {}
    for license_tier in RemoteLicense.objects.filter(connection_id=service.connection_id):
        wanted[license_tier.name] = license_tier.role_group
        if license_tier.allocated_count is not None and license_tier.available_count is not None:
            purchased[license_tier.name] = (
                license_tier.allocated_count + license_tier.available_count
            )
    for name, role_group in seats_by_tier(connection_id=service.connection_id):
        wanted.setdefault(name, role_group)
    existing = {tier.name: tier for tier in service.tiers.all()}
    position = len(existing)
    for name, role_group in sorted(
        wanted.items(), key=lambda item: (item[1] != "FullUser", item[0])
    ):
        if name in existing:
            continue
        existing[name] = ServiceTier.objects.create(
            organization_id=service.organization_id,
            service=service,
            name=name,
            role_group=role_group,
            price_per_seat_cents=rules.default_price_cents(name, role_group),
            seats_bought=purchased.get(name),
            position=position,
        )
        position += 1
    return sorted(existing.values(), key=lambda tier: (tier.position, tier.name))


def usage_rollup_refresh(*, service: SaasService, now: datetime | None = None) -> int:
    """Rewrite the service's monthly rollups; returns how many months it holds."""
    now = now or timezone.now()
    if not (service.is_pagerduty and service.connection_id):
        return 0
    connection_id = service.connection_id
    incidents = {
        _as_date(row["month"]): (row["incidents"], row["alerts"] or 0)
        for row in RemoteIncident.objects.filter(connection_id=connection_id)
        .annotate(month=TruncMonth("created_at_remote"))
        .values("month")
        .annotate(incidents=Count("pk"), alerts=Sum("alert_count"))
        .order_by()
    }
    notifications = {
        row["month"]: (row["total"] or 0, row["billable"] or 0)
        for row in RemoteNotificationCount.objects.filter(connection_id=connection_id)
        .values("month")
        .annotate(
            total=Sum("count"),
            billable=Sum("count", filter=Q(notification_type__in=BILLABLE_NOTIFICATION_TYPES)),
        )
        .order_by()
    }
    peaks = rules.peak_seats_by_month(
        RemoteSeatCount.objects.filter(connection_id=connection_id).values_list("day", "seat_count")
    )
    months = sorted(set(incidents) | set(notifications) | set(peaks))
    rows = []
    for month in months:
        incident_count, alert_count = incidents.get(month, (0, 0))
        notification_total, billable = notifications.get(month, (None, None))
        rows.append(
            UsageMonth(
                organization_id=service.organization_id,
                service=service,
                month=month,
                incidents=incident_count,
                alerts=alert_count,
                billable_alerts=billable,
                notifications=notification_total,
                peak_seats=peaks.get(month),
                computed_at=now,
            )
        )
    with transaction.atomic():
        UsageMonth.objects.filter(service=service).delete()
        UsageMonth.objects.bulk_create(rows)
    return len(rows)


def insight_findings_refresh(*, service: SaasService, now: datetime | None = None) -> None:
    """Record which accounts the insights name now, and which named seats went away since
    (realized savings: the account was removed from PagerDuty after an insight named it)."""
    now = now or timezone.now()
    if not (service.is_pagerduty and service.connection_id):
        return
    result = service_insights(service=service, now=now)
    named: dict[tuple[str, int], int] = {}
    for insight in result.insights:
        if not insight.counts_in_total:
            continue
        for account_id, saving in insight.saving_by_account.items():
            named[(insight.code, account_id)] = saving
    with transaction.atomic():
        existing = {
            (finding.code, finding.account_id): finding
            for finding in InsightFinding.objects.filter(service=service, realized_at__isnull=True)
        }
        new = []
        for key, saving in named.items():
            finding = existing.get(key)
            if finding is None:
                new.append(
                    InsightFinding(
                        organization_id=service.organization_id,
                        service=service,
                        code=key[0],
                        account_id=key[1],
                        monthly_saving_cents=saving,
                        first_named_at=now,
                        last_named_at=now,
                    )
                )
        InsightFinding.objects.bulk_create(new, ignore_conflicts=True)
        InsightFinding.objects.filter(
            service=service,
            realized_at__isnull=True,
            pk__in=[finding.pk for key, finding in existing.items() if key in named],
        ).update(last_named_at=now)
        open_account_ids = list(
            InsightFinding.objects.filter(service=service, realized_at__isnull=True)
            .values_list("account_id", flat=True)
            .distinct()
        )
        removed_account_ids = list(
            RemoteAccount.objects.filter(
                pk__in=open_account_ids, removed_at__isnull=False
            ).values_list("pk", flat=True)
        )
        if removed_account_ids:
            InsightFinding.objects.filter(
                service=service, realized_at__isnull=True, account_id__in=removed_account_ids
            ).update(realized_at=now)


def spend_refresh_service(*, service: SaasService, now: datetime | None = None) -> None:
    """Everything spend derives from the synced records of one service."""
    now = now or timezone.now()
    service_tiers_sync(service=service)
    usage_rollup_refresh(service=service, now=now)
    insight_findings_refresh(service=service, now=now)


def spend_refresh_organization(*, organization_id: int, now: datetime | None = None) -> int:
    """Refresh every integrated service of an organisation; returns how many."""
    services = SaasService.objects.filter(
        organization_id=organization_id, catalog_key="pagerduty", connection__isnull=False
    ).select_related("organization")
    count = 0
    for service in services:
        spend_refresh_service(service=service, now=now)
        count += 1
    return count
