"""Forms of the Spend pages: add a service by hand, a service's settings (per-tier prices and
seats), the Members filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from spend.models import BillingCycle, Currency, SaasService, ServiceTier
from spend.money import MoneyError, cents_as_input, parse_price_cents
from spend.selectors import MEMBER_SORTS, MEMBER_STATUSES
from spend.services import TierChange


class PriceField(forms.CharField):
    """A price per seat per month as typed ("41.00"), cleaned to integer cents."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if text in (None, ""):
            return None
        try:
            return parse_price_cents(text)
        except MoneyError as error:
            raise forms.ValidationError(str(error)) from None


def seats_field(label: str, *, required: bool = False, help_text: str = "") -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=0,
        max_value=10_000_000,
        help_text=help_text,
        error_messages={"min_value": "Seats cannot be negative.", "invalid": "Enter whole seats."},
    )


class ManualServiceForm(forms.Form):
    name = forms.CharField(max_length=200)
    vendor = forms.CharField(max_length=200, required=False)
    category = forms.CharField(max_length=100, required=False)
    price = PriceField(label="Price per user per month", required=True)
    seats = seats_field("Seats", required=True, help_text="Seats in use (and paid for).")


class ServiceSettingsForm(forms.Form):
    """Service settings plus, for each tier, ``price_<pk>`` and ``seats_bought_<pk>`` (and
    ``seats_used_<pk>`` for a service kept by hand)."""

    billing_cycle = forms.ChoiceField(choices=BillingCycle.choices)
    renewal_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="YYYY-MM-DD"
    )
    renewal_notice_days = forms.IntegerField(
        min_value=0,
        max_value=365,
        initial=60,
        label="Renewal notice (days)",
        help_text="Show a notice this many days before the renewal date.",
    )
    currency = forms.ChoiceField(
        choices=Currency.choices, help_text="One currency for the whole organisation."
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, *args: Any, service: SaasService, tiers: list[ServiceTier], currency: str, **kwargs
    ) -> None:
        initial = {
            "billing_cycle": service.billing_cycle,
            "renewal_date": service.renewal_date,
            "renewal_notice_days": service.renewal_notice_days,
            "currency": currency,
            "notes": service.notes,
        }
        for tier in tiers:
            initial[f"price_{tier.pk}"] = cents_as_input(tier.price_per_seat_cents)
            initial[f"seats_bought_{tier.pk}"] = tier.seats_bought
            initial[f"seats_used_{tier.pk}"] = tier.seats_used_manual
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.service = service
        self.tiers = tiers
        self.tier_rows = []
        for tier in tiers:
            self.fields[f"price_{tier.pk}"] = PriceField(
                label="Price per user per month", required=False
            )
            self.fields[f"seats_bought_{tier.pk}"] = seats_field(
                "Seats bought",
                help_text="Optional. When set, spend counts the seats bought.",
            )
            row = [self[f"price_{tier.pk}"], self[f"seats_bought_{tier.pk}"]]
            if not service.is_pagerduty:
                self.fields[f"seats_used_{tier.pk}"] = seats_field("Seats in use")
                row.append(self[f"seats_used_{tier.pk}"])
            self.tier_rows.append((tier, row))

    @property
    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("billing_cycle", "renewal_date", "renewal_notice_days")]

    @property
    def renewal_in_past(self) -> bool:
        renewal_date = self.cleaned_data.get("renewal_date")
        return bool(renewal_date and renewal_date < timezone.localdate())

    def tier_changes(self) -> dict[int, TierChange]:
        data = self.cleaned_data
        return {
            tier.pk: TierChange(
                price_per_seat_cents=data.get(f"price_{tier.pk}"),
                seats_bought=data.get(f"seats_bought_{tier.pk}"),
                seats_used_manual=data.get(f"seats_used_{tier.pk}"),
            )
            for tier in self.tiers
        }


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "Email or name"}),
    )
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *[(status, status.title()) for status in MEMBER_STATUSES]],
    )
    tier = forms.ChoiceField(required=False, choices=[("", "Any license tier")])
    on_call = forms.ChoiceField(
        required=False,
        choices=[("", "On call or not"), ("yes", "On call"), ("no", "Not on call")],
        label="On call",
    )
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in MEMBER_SORTS])
    order = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])

    def __init__(self, *args: Any, tier_names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", "Any license tier"), *[(n, n) for n in tier_names]]

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "query": data.get("q") or "",
            "status": data.get("status") or "",
            "tier": data.get("tier") or "",
            "on_call": data.get("on_call") or "",
            "sort": data.get("sort") or "email",
            "descending": data.get("order") == "desc",
        }
