"""`GET /licenses` and `/license_allocations` follow the users' roles."""

from __future__ import annotations

import pytest

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import api_get, list_all

pytestmark = pytest.mark.standin


def test_licenses_and_allocations_match_user_roles(server: StandinServer) -> None:
    licenses = api_get(server, "/licenses").json()["licenses"]
    allocations = list_all(server, "/license_allocations", "license_allocations")

    assert {license["role_group"] for license in licenses} == {"FullUser", "Stakeholder"}
    assert sum(license["current_value"] for license in licenses) == len(allocations) == 120
