"""`GET /services` (integration references unless included) and `GET /priorities`."""

from __future__ import annotations

import re

import pytest

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import api_get

pytestmark = pytest.mark.standin


def test_services_list_integration_references_unless_integrations_are_included(
    server: StandinServer,
) -> None:
    plain = api_get(server, "/services", limit=100).json()["services"]
    expanded = api_get(server, "/services", limit=100, **{"include[]": "integrations"}).json()[
        "services"
    ]

    plain_integrations = [i for service in plain for i in service["integrations"]]
    assert all(i["type"].endswith("_reference") for i in plain_integrations)
    assert not any("integration_email" in i for i in plain_integrations)
    emails = [
        integration["integration_email"]
        for service in expanded
        for integration in service["integrations"]
        if integration["type"] == "generic_email_inbound_integration"
    ]
    assert emails
    assert all(re.fullmatch(r"svc-[a-z0-9-]+@demo\.pagerduty\.com", email) for email in emails)


def test_priorities_are_ordered_most_to_least_severe(server: StandinServer) -> None:
    names = [priority["name"] for priority in api_get(server, "/priorities").json()["priorities"]]

    assert names == ["P1", "P2", "P3", "P4", "P5"]
