"""spend_configure and spend_report: prices by tier name, bad input is exit code 1 with why."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from spend.models import SpendSettings
from tests.factories import ConnectionFactory, RemoteAccountFactory, RemoteLicenseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def licensed(organization):
    connection = ConnectionFactory(organization=organization)
    full = RemoteLicenseFactory(
        connection=connection, name="Business (Full User)", role_group="FullUser"
    )
    RemoteLicenseFactory(
        connection=connection, name="Business (Stakeholder)", role_group="Stakeholder"
    )
    for number in range(3):
        RemoteAccountFactory(connection=connection, license=full, email=f"u{number}@example.com")
    return connection


def configure(organization, *arguments):
    output, errors = StringIO(), StringIO()
    call_command(
        "spend_configure",
        "--org",
        organization.slug,
        "--service",
        "pagerduty",
        *arguments,
        stdout=output,
        stderr=errors,
    )
    return output.getvalue(), errors.getvalue()


def report(organization) -> dict:
    output = StringIO()
    call_command("spend_report", "--org", organization.slug, "--json", stdout=output)
    return json.loads(output.getvalue())


def test_configure_prices_tiers_and_report_shows_the_spend(organization, licensed):
    configure(
        organization,
        "--price",
        "Business (Full User)=4500",
        "--price",
        "Business (Stakeholder)=250",
        "--seats-bought",
        "Business (Full User)=5",
        "--renewal-date",
        "2099-12-31",
        "--currency",
        "eur",
    )

    (service,) = report(organization)["services"]
    assert service["currency"] == "EUR"
    assert service["tiers"][0] == {
        "name": "Business (Full User)",
        "role_group": "FullUser",
        "seats_used": 3,
        "seats_bought": 5,
        "price_per_seat_cents": 4500,
    }
    assert service["monthly_spend_cents"] == 5 * 4500
    assert service["members"] == {
        "total": 3,
        "active": 0,
        "inactive": 3,
        "invited": 0,
        "removed": 0,
        "on_call": 0,
    }
    assert set(service) == {
        "name",
        "integrated",
        "currency",
        "tiers",
        "monthly_spend_cents",
        "members",
        "usage",
        "insights",
    }
    assert SpendSettings.objects.get(organization=organization).currency == "EUR"


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--price", "Business (Full User)=-5"], "cannot be negative"),
        (["--price", "Business (Full User)=cheap"], "must be a whole number"),
        (["--seats-bought", "Business (Full User)=-1"], "cannot be negative"),
        (["--price", "Enterprise=100"], "Unknown tier(s): Enterprise"),
        (["--currency", "XYZ"], "Unknown currency"),
        (["--renewal-date", "31/12/2099"], "is not a date"),
        (["--price", "no equals sign"], "must look like"),
    ],
)
def test_bad_input_is_refused_with_the_reason(organization, licensed, arguments, reason):
    with pytest.raises(CommandError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        configure(organization, *arguments)


def test_a_renewal_date_in_the_past_is_saved_with_a_warning(organization, licensed):
    _, errors = configure(organization, "--renewal-date", "2020-01-01")
    assert "in the past" in errors


def test_an_unknown_service_or_org_is_refused(organization):
    with pytest.raises(CommandError, match="Unknown service"):
        call_command("spend_configure", "--org", organization.slug, "--service", "slack")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("spend_report", "--org", "nope", "--json")


def test_refused_input_adds_nothing(organization, licensed):
    from spend.models import SaasService

    with pytest.raises(CommandError):
        configure(organization, "--price", "Enterprise=100")
    assert not SaasService.objects.filter(organization=organization).exists()
