"""`GET /users` and `/users/me`."""

from __future__ import annotations

import re

import pytest

from pagerduty_standin import StandinServer
from tests.pagerduty_standin.conftest import api_get, list_all

pytestmark = pytest.mark.standin


def test_users_carry_roles_invitations_and_matchable_emails(server: StandinServer) -> None:
    users = list_all(server, "/users", "users")

    roles = [user["role"] for user in users]
    assert roles.count("owner") == 1
    assert {"admin", "user", "read_only_user"} <= set(roles)
    assert any(user["invitation_sent"] for user in users)
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.com", user["email"]) for user in users)


def test_users_me_needs_a_user_level_token(server: StandinServer) -> None:
    assert api_get(server, "/users/me").status_code == 400
