import pytest

from spend.money import MoneyError, format_cents, parse_price_cents


@pytest.mark.parametrize(
    ("text", "cents"), [("41", 4100), ("41.5", 4150), ("0.99", 99), ("1,234.00", 123400)]
)
def test_prices_are_read_as_cents(text, cents):
    assert parse_price_cents(text) == cents


@pytest.mark.parametrize("text", ["-1", "abc", "1.001", "nan", "1e12"])
def test_bad_prices_are_refused(text):
    with pytest.raises(MoneyError):
        parse_price_cents(text)


def test_money_is_shown_with_the_currency():
    assert format_cents(123456, "USD") == "$1,234.56"
    assert format_cents(5, "EUR") == "€0.05"
    assert format_cents(100, "CHF") == "1.00 CHF"
