from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from spend.models import Currency
from spend.services import SpendError, service_configure
from tenants.selectors import organization_for_command


def _pairs(values: list[str], what: str) -> dict[str, int]:
    """["Business (Full User)=4100", ...] → {name: non-negative integer}."""
    result: dict[str, int] = {}
    for value in values:
        name, separator, number = value.rpartition("=")
        name = name.strip()
        if not separator or not name:
            raise CommandError(f'{what} {value!r} must look like "TIER NAME=NUMBER".')
        try:
            parsed = int(number.strip())
        except ValueError:
            raise CommandError(
                f"{what} for {name!r} must be a whole number, not {number!r}."
            ) from None
        if parsed < 0:
            raise CommandError(f"{what} for {name!r} cannot be negative.")
        result[name] = parsed
    return result


class Command(BaseCommand):
    help = (
        "Price a service's license tiers (cents per seat per month), seats bought, renewal date "
        "and the organisation's currency. Exit code 1 with the reason on bad input."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--service", required=True, help="Service: pagerduty")
        parser.add_argument(
            "--price", action="append", default=[], help='"TIER NAME=CENTS" (repeatable)'
        )
        parser.add_argument(
            "--seats-bought", action="append", default=[], help='"TIER NAME=N" (repeatable)'
        )
        parser.add_argument("--renewal-date", help="YYYY-MM-DD")
        parser.add_argument("--currency", help=f"One of {', '.join(Currency.values)}")

    def handle(self, *args, **options) -> None:
        organization = organization_for_command(options["org"])
        prices = _pairs(options["price"], "Price")
        seats = _pairs(options["seats_bought"], "Seats bought")
        renewal_date = None
        if options["renewal_date"]:
            try:
                renewal_date = date.fromisoformat(options["renewal_date"])
            except ValueError:
                raise CommandError(
                    f"Renewal date {options['renewal_date']!r} is not a date (YYYY-MM-DD)."
                ) from None
        currency = options["currency"]
        if currency is not None:
            currency = currency.upper()
            if currency not in Currency.values:
                raise CommandError(
                    f"Unknown currency {options['currency']!r}. Use one of "
                    f"{', '.join(Currency.values)}."
                )
        try:
            service = service_configure(
                organization=organization,
                service_key=options["service"],
                prices_cents=prices,
                seats_bought=seats,
                renewal_date=renewal_date,
                currency=currency,
            )
        except SpendError as error:
            raise CommandError(str(error)) from None
        if renewal_date is not None and renewal_date < timezone.localdate():
            self.stderr.write(f"Warning: the renewal date {renewal_date} is in the past.")
        self.stdout.write(f"Configured {service.name} for {organization.slug}.")
