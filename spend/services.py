"""Writes of spend data. Each change is atomic and records an audit event in the same
transaction (``tenants.services.audit_event_record``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from integrations.models import Connection, Purpose
from integrations.services import connection_revoke, connection_update_purposes
from spend.models import BillingCycle, Currency, SaasService, ServiceTier, SpendSettings
from spend.rollups import spend_refresh_service
from tenants.models import Organization
from tenants.services import audit_event_record

PAGERDUTY_KEY = "pagerduty"


class SpendError(Exception):
    """A change the rules refuse; the message is shown as it is."""


def spend_settings_get(*, organization: Organization) -> SpendSettings:
    settings, _ = SpendSettings.objects.get_or_create(organization=organization)
    return settings


def pagerduty_connection_for(*, organization: Organization) -> Connection | None:
    """The org's PagerDuty connection to read spend from: one serving spend first."""
    connections = list(
        Connection.objects.filter(organization=organization, provider="pagerduty")
        .not_revoked()
        .order_by("pk")
    )
    serving = [connection for connection in connections if connection.has_purpose(Purpose.SPEND)]
    return (serving or connections or [None])[0]


def service_add_pagerduty(*, organization: Organization, acting_user: Any) -> SaasService:
    """Add PagerDuty (once per org), linked to the org's connection when there is one."""
    with transaction.atomic():
        service, created = SaasService.objects.get_or_create(
            organization=organization,
            catalog_key=PAGERDUTY_KEY,
            defaults={
                "name": "PagerDuty",
                "vendor": "PagerDuty, Inc.",
                "category": "Incident management",
            },
        )
        if created:
            audit_event_record(
                organization=organization,
                actor=acting_user,
                action="spend.service_add",
                target=service,
                details={"catalog": PAGERDUTY_KEY},
            )
    if service.connection_id is None:
        service_integrate(service=service, acting_user=acting_user)
    return service


def service_add_manual(
    *,
    organization: Organization,
    acting_user: Any,
    name: str,
    vendor: str,
    category: str,
    price_per_seat_cents: int,
    seats: int,
) -> SaasService:
    """A service kept by hand: one tier whose seats in use are the figure given."""
    with transaction.atomic():
        service = SaasService.objects.create(
            organization=organization, name=name, vendor=vendor, category=category
        )
        ServiceTier.objects.create(
            organization=organization,
            service=service,
            name="Standard",
            price_per_seat_cents=price_per_seat_cents,
            seats_used_manual=seats,
        )
        audit_event_record(
            organization=organization,
            actor=acting_user,
            action="spend.service_add",
            target=service,
            details={"price_per_seat_cents": price_per_seat_cents, "seats": seats},
        )
    return service


def service_integrate(*, service: SaasService, acting_user: Any) -> bool:
    """Link PagerDuty to the org's connection (adding "spend" to what it is used for).

    False when the org has no connection yet: the page then starts the connect flow."""
    connection = pagerduty_connection_for(organization=service.organization)
    if connection is None:
        return False
    with transaction.atomic():
        if not connection.has_purpose(Purpose.SPEND):
            connection_update_purposes(
                connection=connection,
                purposes=[*connection.purposes, str(Purpose.SPEND)],
                acting_user=acting_user,
            )
        if service.connection_id != connection.pk:
            service.connection = connection
            service.save(update_fields=["connection", "updated_at"])
            audit_event_record(
                organization=service.organization,
                actor=acting_user,
                action="spend.service_integrate",
                target=service,
                details={"connection": connection.pk},
            )
    spend_refresh_service(service=service)
    return True


def service_revoke(*, service: SaasService, acting_user: Any, purge: bool) -> Connection:
    """The same revoke as the integrations page (owners only; checked by the view)."""
    if service.connection is None:
        raise SpendError("This service is not integrated: there is nothing to revoke.")
    return connection_revoke(connection=service.connection, acting_user=acting_user, purge=purge)


@dataclass(frozen=True)
class TierChange:
    price_per_seat_cents: int | None
    seats_bought: int | None
    seats_used_manual: int | None = None


def service_update_settings(
    *,
    service: SaasService,
    acting_user: Any,
    billing_cycle: str,
    renewal_date: date | None,
    renewal_notice_days: int,
    notes: str,
    currency: str,
    tiers: dict[int, TierChange],
) -> SaasService:
    """Save a service's settings, its tiers' prices and seats, and the org's currency."""
    if billing_cycle not in BillingCycle.values:
        raise SpendError(f"Unknown billing cycle {billing_cycle!r}.")
    if currency not in Currency.values:
        raise SpendError(f"Unknown currency {currency!r}.")
    changes: dict[str, Any] = {}
    with transaction.atomic():
        for field_name, value in (
            ("billing_cycle", billing_cycle),
            ("renewal_date", renewal_date),
            ("renewal_notice_days", renewal_notice_days),
            ("notes", notes),
        ):
            before = getattr(service, field_name)
            if before != value:
                changes[field_name] = {"from": str(before or ""), "to": str(value or "")}
                setattr(service, field_name, value)
        service.save()
        settings = spend_settings_get(organization=service.organization)
        if settings.currency != currency:
            changes["currency"] = {"from": settings.currency, "to": currency}
            settings.currency = currency
            settings.save(update_fields=["currency", "updated_at"])
        for tier in service.tiers.filter(pk__in=list(tiers)):
            change = tiers[tier.pk]
            tier_changes = {}
            for field_name in ("price_per_seat_cents", "seats_bought", "seats_used_manual"):
                value = getattr(change, field_name)
                if field_name == "seats_used_manual" and service.is_pagerduty:
                    continue
                if getattr(tier, field_name) != value:
                    tier_changes[field_name] = {"from": getattr(tier, field_name), "to": value}
                    setattr(tier, field_name, value)
            if tier_changes:
                tier.save()
                changes[f"tier:{tier.name}"] = tier_changes
        if changes:
            audit_event_record(
                organization=service.organization,
                actor=acting_user,
                action="spend.service_update",
                target=service,
                details=changes,
            )
    return service


def service_configure(
    *,
    organization: Organization,
    service_key: str,
    prices_cents: dict[str, int],
    seats_bought: dict[str, int],
    renewal_date: date | None = None,
    currency: str | None = None,
    acting_user: Any = None,
) -> SaasService:
    """What ``spend_configure`` does: price tiers by name; unknown tiers are refused."""
    if service_key != PAGERDUTY_KEY:
        raise SpendError(f"Unknown service {service_key!r}: only 'pagerduty' can be configured.")
    with transaction.atomic():  # refused input adds nothing
        return _service_configure(
            organization=organization,
            prices_cents=prices_cents,
            seats_bought=seats_bought,
            renewal_date=renewal_date,
            currency=currency,
            acting_user=acting_user,
        )


def _service_configure(
    *,
    organization: Organization,
    prices_cents: dict[str, int],
    seats_bought: dict[str, int],
    renewal_date: date | None,
    currency: str | None,
    acting_user: Any,
) -> SaasService:
    service = service_add_pagerduty(organization=organization, acting_user=acting_user)
    tiers = {tier.name: tier for tier in service.tiers.all()}
    unknown = sorted((set(prices_cents) | set(seats_bought)) - set(tiers))
    if unknown:
        known = ", ".join(sorted(tiers)) or "none yet (sync PagerDuty first)"
        raise SpendError(f"Unknown tier(s): {', '.join(unknown)}. Tiers: {known}.")
    changes = {
        tier.pk: TierChange(
            price_per_seat_cents=prices_cents.get(name, tier.price_per_seat_cents),
            seats_bought=seats_bought.get(name, tier.seats_bought),
            seats_used_manual=tier.seats_used_manual,
        )
        for name, tier in tiers.items()
    }
    return service_update_settings(
        service=service,
        acting_user=acting_user,
        billing_cycle=service.billing_cycle,
        renewal_date=renewal_date if renewal_date is not None else service.renewal_date,
        renewal_notice_days=service.renewal_notice_days,
        notes=service.notes,
        currency=currency or spend_settings_get(organization=organization).currency,
        tiers=changes,
    )
