"""Money as integer cents: parsing what people type, and showing it with the org's currency."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$"}
MAX_PRICE_CENTS = 100_000_000  # a million per seat per month


class MoneyError(ValueError):
    """A price that cannot be read; the message says why."""


def parse_price_cents(text: str) -> int:
    """ "41", "41.5" or "41.00" (per seat per month) → cents; negative or odd values refused."""
    cleaned = (text or "").strip().replace(",", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyError(f"“{text}” is not a price: write it like 41.00.") from None
    if not amount.is_finite():
        raise MoneyError(f"“{text}” is not a price: write it like 41.00.")
    if amount < 0:
        raise MoneyError("A price cannot be negative.")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise MoneyError("A price has at most two decimals.")
    if cents > MAX_PRICE_CENTS:
        raise MoneyError("That price is too large.")
    return int(cents)


def format_cents(cents: int | None, currency: str) -> str:
    """1234567, "USD" → "$12,345.67"; other currencies put the code after the amount."""
    if cents is None:
        return "—"
    sign = "-" if cents < 0 else ""
    whole, fraction = divmod(abs(int(cents)), 100)
    amount = f"{whole:,}.{fraction:02d}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def cents_as_input(cents: int | None) -> str:
    if cents is None:
        return ""
    whole, fraction = divmod(int(cents), 100)
    return f"{whole}.{fraction:02d}"
