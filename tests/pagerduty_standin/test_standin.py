"""Specification of the local PagerDuty stand-in server.

The stand-in must behave like PagerDuty, not like our client hopes: these tests pin the rules a
naive integration trips over (page caps, the 10,000 ceiling, the six-month window, `since` on
creation time, rate limits, OAuth code and refresh-token rules) so the app's integration tests
and benchmarks exercise the real failure modes. No database is needed.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from pagerduty_standin import (
    DEFAULT_API_KEY,
    DEFAULT_OAUTH_CLIENT_ID,
    DEFAULT_OAUTH_CLIENT_SECRET,
    StandinOptions,
    StandinServer,
    generate_dataset,
)

pytestmark = pytest.mark.standin

FIXED_NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
REDIRECT_URI = "http://app.example.test/integrations/pagerduty/callback"
APP_SCOPES = (
    "users.read services.read incidents.read priorities.read abilities.read licenses.read "
    "analytics.write"
)
API_KEY_HEADERS = {
    "Authorization": f"Token token={DEFAULT_API_KEY}",
    "Accept": "application/vnd.pagerduty+json;version=2",
}


def small_options(**overrides: Any) -> StandinOptions:
    values: dict[str, Any] = {
        "seed": 7,
        "incident_count": 3000,
        "user_count": 120,
        "service_count": 12,
        "now": FIXED_NOW,
        "rate_limit_per_minute": 100_000,
    }
    values.update(overrides)
    return StandinOptions(**values)


@pytest.fixture(scope="module")
def server() -> Iterator[StandinServer]:
    """One shared read-mostly server; tests that change data use their own."""
    with StandinServer(small_options()) as running:
        yield running


@pytest.fixture
def fresh_server() -> Iterator[StandinServer]:
    with StandinServer(
        small_options(incident_count=400, user_count=40, service_count=6)
    ) as running:
        yield running


def api_get(server: StandinServer, path: str, **params: Any) -> requests.Response:
    return requests.get(f"{server.url}{path}", headers=API_KEY_HEADERS, params=params, timeout=10)


def control(server: StandinServer, path: str, payload: dict[str, Any] | None = None) -> Any:
    response = requests.post(f"{server.url}/_control{path}", json=payload or {}, timeout=10)
    response.raise_for_status()
    return response.json()


# ----------------------------------------------------------------------------- pagination


def test_limit_above_100_is_clamped_to_100_and_more_says_whether_items_remain(
    server: StandinServer,
) -> None:
    body = api_get(server, "/users", limit=500).json()

    assert body["limit"] == 100
    assert len(body["users"]) == 100
    assert body["more"] is True

    last_page = api_get(server, "/users", limit=100, offset=100).json()
    assert len(last_page["users"]) == 20
    assert last_page["more"] is False


def test_total_is_null_unless_total_true_is_passed(server: StandinServer) -> None:
    assert api_get(server, "/users").json()["total"] is None
    assert api_get(server, "/users", total="true").json()["total"] == 120


def test_default_page_size_is_25(server: StandinServer) -> None:
    body = api_get(server, "/incidents", date_range="all").json()

    assert body["limit"] == 25
    assert len(body["incidents"]) == 25


def test_offset_plus_limit_over_10000_is_a_400_arguments_caused_error(
    server: StandinServer,
) -> None:
    response = api_get(server, "/incidents", date_range="all", offset=9950, limit=100)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 2002
    assert error["message"] == "Arguments Caused Error"
    assert error["errors"][0].startswith("Offset+limit exceeds maximum allowed value of 10000.")


def test_offset_plus_limit_of_exactly_10000_is_allowed(server: StandinServer) -> None:
    assert api_get(server, "/incidents", date_range="all", offset=9900, limit=100).ok


# ----------------------------------------------------------------------------- incidents


def test_incident_range_over_six_months_is_rejected(server: StandinServer) -> None:
    response = api_get(
        server, "/incidents", since="2024-01-01T00:00:00Z", until="2024-08-01T00:00:00Z"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 2001


def test_incident_range_of_exactly_six_months_is_allowed(server: StandinServer) -> None:
    response = api_get(
        server, "/incidents", since="2024-01-01T00:00:00Z", until="2024-07-01T00:00:00Z"
    )

    assert response.status_code == 200


def test_without_since_and_until_only_the_last_month_is_listed(server: StandinServer) -> None:
    body = api_get(server, "/incidents", limit=100, total="true").json()

    month_ago = FIXED_NOW - timedelta(days=31)
    created = [parse_time(incident["created_at"]) for incident in body["incidents"]]
    assert created and all(moment >= month_ago for moment in created)
    all_time_total = api_get(server, "/incidents", date_range="all", total="true").json()["total"]
    assert body["total"] < all_time_total == 3000


def test_since_and_until_filter_on_creation_time(server: StandinServer) -> None:
    since = datetime(2024, 11, 1, tzinfo=UTC)
    until = datetime(2024, 12, 1, tzinfo=UTC)

    incidents = list_all(server, "/incidents", "incidents", since=iso(since), until=iso(until))

    assert incidents
    assert all(since <= parse_time(incident["created_at"]) < until for incident in incidents)
    created = [incident["created_at"] for incident in incidents]
    assert created == sorted(created)


def test_sort_by_created_at_desc_returns_newest_first(server: StandinServer) -> None:
    body = api_get(server, "/incidents", date_range="all", sort_by="created_at:desc").json()

    created = [incident["created_at"] for incident in body["incidents"]]
    assert created == sorted(created, reverse=True)
    assert body["incidents"][0]["incident_number"] == 3000


def test_statuses_filter_returns_only_open_incidents(server: StandinServer) -> None:
    open_incidents = list_all(
        server,
        "/incidents",
        "incidents",
        date_range="all",
        **{"statuses[]": ["triggered", "acknowledged"]},
    )

    summary = requests.get(f"{server.url}/_control/summary", timeout=10).json()
    expected = (
        summary["incidents_by_status"]["triggered"] + summary["incidents_by_status"]["acknowledged"]
    )
    assert len(open_incidents) == expected
    assert {incident["status"] for incident in open_incidents} == {"triggered", "acknowledged"}
    assert all(incident["resolved_at"] is None for incident in open_incidents)


def test_invalid_status_is_a_400(server: StandinServer) -> None:
    response = api_get(server, "/incidents", **{"statuses[]": "closed"})

    assert response.status_code == 400


def test_resolved_incidents_have_no_assignments_but_keep_alert_counts(
    server: StandinServer,
) -> None:
    body = api_get(
        server, "/incidents", date_range="all", limit=50, **{"statuses[]": "resolved"}
    ).json()

    for incident in body["incidents"]:
        assert incident["assignments"] == []
        counts = incident["alert_counts"]
        assert counts["all"] == counts["resolved"] >= 1
        assert incident["resolved_at"] is not None


def test_service_filter_and_incident_detail(server: StandinServer) -> None:
    service_id = api_get(server, "/services").json()["services"][0]["id"]
    body = api_get(
        server, "/incidents", date_range="all", limit=20, **{"service_ids[]": service_id}
    ).json()

    assert body["incidents"]
    assert {incident["service"]["id"] for incident in body["incidents"]} == {service_id}
    detail = api_get(server, f"/incidents/{body['incidents'][0]['id']}").json()["incident"]
    assert detail["id"] == body["incidents"][0]["id"]


def test_unknown_incident_is_a_404_with_pagerduty_error_body(server: StandinServer) -> None:
    response = api_get(server, "/incidents/PNOPE00")

    assert response.status_code == 404
    assert response.json() == {"error": {"message": "Not Found", "code": 2100}}


def test_log_entries_have_incident_references_and_respect_the_window(
    server: StandinServer,
) -> None:
    since = datetime(2025, 3, 1, tzinfo=UTC)
    until = datetime(2025, 3, 3, tzinfo=UTC)

    entries = list_all(server, "/log_entries", "log_entries", since=iso(since), until=iso(until))

    assert entries
    assert all(since <= parse_time(entry["created_at"]) < until for entry in entries)
    assert all(entry["incident"]["type"] == "incident_reference" for entry in entries)
    assert {"trigger_log_entry", "resolve_log_entry"} <= {entry["type"] for entry in entries}


def test_incident_log_entries_overview_and_channels(server: StandinServer) -> None:
    incident = api_get(server, "/incidents", date_range="all", **{"statuses[]": "resolved"}).json()[
        "incidents"
    ][0]

    everything = api_get(server, f"/incidents/{incident['id']}/log_entries").json()["log_entries"]
    overview = api_get(
        server, f"/incidents/{incident['id']}/log_entries", is_overview="true"
    ).json()["log_entries"]
    with_channels = api_get(
        server, f"/incidents/{incident['id']}/log_entries", **{"include[]": "channels"}
    ).json()["log_entries"]

    assert {entry["type"] for entry in overview} <= {
        "trigger_log_entry",
        "acknowledge_log_entry",
        "annotate_log_entry",
        "resolve_log_entry",
    }
    assert len(overview) < len(everything)
    trigger = next(entry for entry in with_channels if entry["type"] == "trigger_log_entry")
    assert "summary" in trigger["channel"]


# ----------------------------------------------------------------------------- other resources


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


def test_users_carry_roles_invitations_and_matchable_emails(server: StandinServer) -> None:
    users = list_all(server, "/users", "users")

    roles = [user["role"] for user in users]
    assert roles.count("owner") == 1
    assert {"admin", "user", "read_only_user"} <= set(roles)
    assert any(user["invitation_sent"] for user in users)
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.com", user["email"]) for user in users)


def test_licenses_and_allocations_match_user_roles(server: StandinServer) -> None:
    licenses = api_get(server, "/licenses").json()["licenses"]
    allocations = list_all(server, "/license_allocations", "license_allocations")

    assert {license["role_group"] for license in licenses} == {"FullUser", "Stakeholder"}
    assert sum(license["current_value"] for license in licenses) == len(allocations) == 120


def test_analytics_raw_users_pages_with_starting_after(server: StandinServer) -> None:
    rows: list[dict[str, Any]] = []
    body: dict[str, Any] = {"limit": 50}
    while True:
        page = requests.post(
            f"{server.url}/analytics/raw/users", headers=API_KEY_HEADERS, json=body, timeout=10
        ).json()
        rows.extend(page["data"])
        if not page["more"]:
            break
        body = {"limit": 50, "starting_after": page["last"]}

    assert len({row["id"] for row in rows}) == 120
    never_signed_in = [row for row in rows if row["last_sign_in_at"] is None]
    assert never_signed_in and all(not row["signed_up"] for row in never_signed_in)


def test_analytics_limit_above_1000_is_rejected(server: StandinServer) -> None:
    response = requests.post(
        f"{server.url}/analytics/raw/users",
        headers=API_KEY_HEADERS,
        json={"limit": 5000},
        timeout=10,
    )

    assert response.status_code == 400


def test_analytics_incident_metrics_per_month(server: StandinServer) -> None:
    response = requests.post(
        f"{server.url}/analytics/metrics/incidents/all",
        headers=API_KEY_HEADERS,
        json={
            "filters": {
                "created_at_start": "2025-01-01T00:00:00Z",
                "created_at_end": "2025-04-01T00:00:00Z",
            },
            "aggregate_unit": "month",
            "time_zone": "Etc/UTC",
        },
        timeout=10,
    )

    rows = response.json()["data"]
    assert [row["range_start"] for row in rows] == [
        "2025-01-01T00:00:00",
        "2025-02-01T00:00:00",
        "2025-03-01T00:00:00",
    ]
    in_window = api_get(
        server,
        "/incidents",
        since="2025-01-01T00:00:00Z",
        until="2025-04-01T00:00:00Z",
        total="true",
    ).json()["total"]
    assert sum(row["total_incident_count"] for row in rows) == in_window


# ----------------------------------------------------------------------------- authentication


def test_unknown_api_key_is_a_401(server: StandinServer) -> None:
    response = requests.get(
        f"{server.url}/users", headers={"Authorization": "Token token=wrong"}, timeout=10
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == 2006


def test_missing_authorization_is_a_401(server: StandinServer) -> None:
    assert requests.get(f"{server.url}/users", timeout=10).status_code == 401


def test_users_me_needs_a_user_level_token(server: StandinServer) -> None:
    assert api_get(server, "/users/me").status_code == 400


# ----------------------------------------------------------------------------- rate limits


def test_rate_limit_429_carries_ratelimit_headers() -> None:
    options = small_options(
        incident_count=50, rate_limit_per_minute=3, rate_limit_headers_probability=1.0
    )
    with StandinServer(options) as limited:
        statuses = [api_get(limited, "/abilities") for _ in range(4)]

    assert [response.status_code for response in statuses] == [200, 200, 200, 429]
    throttled = statuses[-1]
    assert throttled.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
    assert throttled.headers["ratelimit-limit"] == "3"
    assert throttled.headers["ratelimit-remaining"] == "0"
    assert 1 <= int(throttled.headers["ratelimit-reset"]) <= 60
    assert "Retry-After" not in throttled.headers
    assert statuses[0].headers["ratelimit-remaining"] == "2"


def test_some_429s_come_without_headers_or_body() -> None:
    options = small_options(
        incident_count=50, rate_limit_per_minute=1, rate_limit_headers_probability=0.0
    )
    with StandinServer(options) as limited:
        api_get(limited, "/abilities")
        throttled = api_get(limited, "/abilities")

    assert throttled.status_code == 429
    assert "ratelimit-reset" not in throttled.headers
    assert throttled.content == b""


def test_rate_limit_is_counted_per_credential() -> None:
    options = small_options(
        incident_count=50,
        rate_limit_per_minute=1,
        rate_limit_headers_probability=1.0,
        api_keys=("key-one", "key-two"),
    )
    with StandinServer(options) as limited:
        first = requests.get(
            f"{limited.url}/abilities", headers={"Authorization": "Token token=key-one"}, timeout=5
        )
        second = requests.get(
            f"{limited.url}/abilities", headers={"Authorization": "Token token=key-two"}, timeout=5
        )

    assert first.status_code == second.status_code == 200


# ----------------------------------------------------------------------------- OAuth


def make_pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize(
    server: StandinServer,
    challenge: str,
    *,
    decision: str = "approve",
    scope: str = APP_SCOPES,
    state: str = "state-123",
) -> dict[str, list[str]]:
    """Walk the consent page like a browser and return the redirect's query parameters."""
    params = {
        "response_type": "code",
        "client_id": DEFAULT_OAUTH_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = requests.get(f"{server.url}/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200
    assert "Approve" in page.text and "Deny" in page.text
    response = requests.post(
        f"{server.url}/oauth/authorize",
        data={**params, "decision": decision},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return parse_qs(location.query)


def exchange_code(server: StandinServer, code: str, verifier: str) -> requests.Response:
    return requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": DEFAULT_OAUTH_CLIENT_ID,
            "client_secret": DEFAULT_OAUTH_CLIENT_SECRET,
            "redirect_uri": REDIRECT_URI,
            "code": code,
            "code_verifier": verifier,
        },
        timeout=10,
    )


def refresh(server: StandinServer, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{server.url}/oauth/token",
        data={
            "grant_type": "refresh_token",
            "client_id": DEFAULT_OAUTH_CLIENT_ID,
            "client_secret": DEFAULT_OAUTH_CLIENT_SECRET,
            "refresh_token": refresh_token,
        },
        timeout=10,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_oauth_authorization_code_flow_with_pkce(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()

    redirect = authorize(fresh_server, challenge, scope=f"{APP_SCOPES} made.up.scope")
    tokens = exchange_code(fresh_server, redirect["code"][0], verifier).json()

    assert redirect["state"] == ["state-123"]
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 86_400
    granted = set(tokens["scope"].split())
    assert granted == set(APP_SCOPES.split()) | {"openid"}
    users = requests.get(
        f"{fresh_server.url}/users", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert users.status_code == 200
    me = requests.get(
        f"{fresh_server.url}/users/me", headers=bearer(tokens["access_token"]), timeout=10
    )
    assert me.json()["user"]["role"] == "owner"


def test_id_token_verifies_against_the_jwks(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]
    tokens = exchange_code(fresh_server, code, verifier).json()

    jwks_client = jwt.PyJWKClient(f"{fresh_server.url}/global/oauth/anonymous/jwks")
    signing_key = jwks_client.get_signing_key_from_jwt(tokens["id_token"])
    claims = jwt.decode(
        tokens["id_token"],
        signing_key.key,
        algorithms=["RS256"],
        audience=DEFAULT_OAUTH_CLIENT_ID,
        issuer=f"{fresh_server.url}/global/oauth/anonymous",
    )

    assert jwt.get_unverified_header(tokens["id_token"])["kid"] == signing_key.key_id
    assert fresh_server.url in claims["aud"]
    assert claims["subdomain"] == "demo"
    assert claims["region"] == "UnitedStates"
    assert claims["account_id"] == fresh_server.dataset.account_id
    assert claims["user_id"] == fresh_server.dataset.users[0].id
    assert claims["exp"] > claims["iat"]


def test_wrong_pkce_verifier_is_refused(fresh_server: StandinServer) -> None:
    _, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]

    response = exchange_code(fresh_server, code, "not-the-verifier")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_authorization_code_cannot_be_used_twice(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]

    assert exchange_code(fresh_server, code, verifier).status_code == 200
    reuse = exchange_code(fresh_server, code, verifier)

    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"


def test_authorization_without_pkce_is_sent_back_as_invalid_request(
    fresh_server: StandinServer,
) -> None:
    response = requests.get(
        f"{fresh_server.url}/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": DEFAULT_OAUTH_CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "scope": APP_SCOPES,
            "state": "s",
        },
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_request"]


def test_unknown_client_gets_an_error_page_not_a_redirect(fresh_server: StandinServer) -> None:
    response = requests.get(
        f"{fresh_server.url}/oauth/authorize",
        params={"client_id": "nope", "redirect_uri": REDIRECT_URI, "response_type": "code"},
        allow_redirects=False,
        timeout=10,
    )

    assert response.status_code == 400
    assert "Location" not in response.headers


def test_deny_redirects_with_access_denied_and_state(fresh_server: StandinServer) -> None:
    _, challenge = make_pkce_pair()

    redirect = authorize(fresh_server, challenge, decision="deny", state="xyz")

    assert redirect["error"] == ["access_denied"]
    assert redirect["state"] == ["xyz"]
    assert "code" not in redirect


def test_refresh_rotates_and_the_old_refresh_token_stops_working(
    fresh_server: StandinServer,
) -> None:
    verifier, challenge = make_pkce_pair()
    tokens = exchange_code(fresh_server, authorize(fresh_server, challenge)["code"][0], verifier)
    first_refresh = tokens.json()["refresh_token"]

    rotated = refresh(fresh_server, first_refresh)
    replay = refresh(fresh_server, first_refresh)

    assert rotated.status_code == 200
    new_tokens = rotated.json()
    assert new_tokens["refresh_token"] != first_refresh
    assert "id_token" not in new_tokens
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert refresh(fresh_server, new_tokens["refresh_token"]).status_code == 200


def test_refresh_token_sent_without_form_encoding_is_rejected(
    fresh_server: StandinServer,
) -> None:
    """PagerDuty tokens contain '+', which an unencoded form body turns into a space."""
    verifier, challenge = make_pkce_pair()
    tokens = exchange_code(fresh_server, authorize(fresh_server, challenge)["code"][0], verifier)
    refresh_token = tokens.json()["refresh_token"]
    assert "+" in refresh_token

    response = requests.post(
        f"{fresh_server.url}/oauth/token",
        data=(
            f"grant_type=refresh_token&client_id={DEFAULT_OAUTH_CLIENT_ID}"
            f"&client_secret={DEFAULT_OAUTH_CLIENT_SECRET}&refresh_token={refresh_token}"
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )

    assert response.json()["error"] == "invalid_grant"


def test_expired_access_token_is_a_401() -> None:
    options = small_options(incident_count=50, access_token_ttl_seconds=1)
    with StandinServer(options) as short_lived:
        verifier, challenge = make_pkce_pair()
        code = authorize(short_lived, challenge)["code"][0]
        access_token = exchange_code(short_lived, code, verifier).json()["access_token"]
        assert requests.get(f"{short_lived.url}/users", headers=bearer(access_token), timeout=5).ok

        time.sleep(1.2)
        expired = requests.get(f"{short_lived.url}/users", headers=bearer(access_token), timeout=5)

    assert expired.status_code == 401


def test_withheld_scope_gives_403_on_its_endpoints() -> None:
    options = small_options(incident_count=50, withhold_scopes=("incidents.read",))
    with StandinServer(options) as partial:
        verifier, challenge = make_pkce_pair()
        tokens = exchange_code(partial, authorize(partial, challenge)["code"][0], verifier).json()
        incidents = requests.get(
            f"{partial.url}/incidents", headers=bearer(tokens["access_token"]), timeout=5
        )
        users = requests.get(
            f"{partial.url}/users", headers=bearer(tokens["access_token"]), timeout=5
        )

    assert "incidents.read" not in tokens["scope"].split()
    assert incidents.status_code == 403
    assert users.status_code == 200


def test_strict_reading_of_invalid_scopes_leaves_only_openid() -> None:
    options = small_options(incident_count=50, invalid_scope_grants_only_openid=True)
    with StandinServer(options) as strict:
        verifier, challenge = make_pkce_pair()
        code = authorize(strict, challenge, scope=f"{APP_SCOPES} read")["code"][0]
        tokens = exchange_code(strict, code, verifier).json()

    assert tokens["scope"] == "openid"


def test_client_credentials_give_an_app_token_without_a_user(fresh_server: StandinServer) -> None:
    response = requests.post(
        f"{fresh_server.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": DEFAULT_OAUTH_CLIENT_ID,
            "client_secret": DEFAULT_OAUTH_CLIENT_SECRET,
            "scope": "as_account-us.demo users.read",
        },
        timeout=10,
    )
    token = response.json()

    assert token["scope"] == "as_account-us.demo users.read"
    assert "refresh_token" not in token
    headers = bearer(token["access_token"])
    assert requests.get(f"{fresh_server.url}/users", headers=headers, timeout=5).ok
    assert (
        requests.get(f"{fresh_server.url}/users/me", headers=headers, timeout=5).status_code == 400
    )


def test_oauth_metrics_request_needs_service_or_team_ids(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]
    access_token = exchange_code(fresh_server, code, verifier).json()["access_token"]
    window = {"created_at_start": "2025-01-01T00:00:00Z", "created_at_end": "2025-03-01T00:00:00Z"}
    service_id = fresh_server.dataset.services[0].id

    without_ids = requests.post(
        f"{fresh_server.url}/analytics/metrics/incidents/all",
        headers=bearer(access_token),
        json={"filters": window, "aggregate_unit": "month"},
        timeout=5,
    )
    with_ids = requests.post(
        f"{fresh_server.url}/analytics/metrics/incidents/all",
        headers=bearer(access_token),
        json={"filters": {**window, "service_ids": [service_id]}, "aggregate_unit": "month"},
        timeout=5,
    )

    assert without_ids.status_code == 400
    assert with_ids.status_code == 200


def test_revoke_all_tokens_makes_existing_tokens_401(fresh_server: StandinServer) -> None:
    verifier, challenge = make_pkce_pair()
    code = authorize(fresh_server, challenge)["code"][0]
    tokens = exchange_code(fresh_server, code, verifier).json()

    control(fresh_server, "/options", {"revoke_all_tokens": True})

    revoked = requests.get(
        f"{fresh_server.url}/users", headers=bearer(tokens["access_token"]), timeout=5
    )
    assert revoked.status_code == 401
    assert refresh(fresh_server, tokens["refresh_token"]).json()["error"] == "invalid_grant"


# ----------------------------------------------------------------------------- control endpoints


def test_resolving_through_control_is_seen_by_the_api(fresh_server: StandinServer) -> None:
    open_incident = api_get(
        fresh_server, "/incidents", date_range="all", **{"statuses[]": "triggered"}
    ).json()["incidents"][0]

    control(
        fresh_server,
        f"/incidents/{open_incident['id']}/resolve",
        {"note": "Root cause found, no Data Loss."},
    )

    after = api_get(fresh_server, f"/incidents/{open_incident['id']}").json()["incident"]
    assert after["status"] == "resolved"
    assert after["resolved_at"] is not None
    assert after["created_at"] == open_incident["created_at"]
    assert after["updated_at"] >= open_incident["updated_at"]
    still_open = list_all(
        fresh_server, "/incidents", "incidents", date_range="all", **{"statuses[]": "triggered"}
    )
    assert open_incident["id"] not in {incident["id"] for incident in still_open}
    notes = api_get(fresh_server, f"/incidents/{open_incident['id']}/notes").json()["notes"]
    assert notes[-1]["content"] == "Root cause found, no Data Loss."
    log_types = [
        entry["type"]
        for entry in api_get(fresh_server, f"/incidents/{open_incident['id']}/log_entries").json()[
            "log_entries"
        ]
    ]
    assert log_types[0] == "resolve_log_entry"
    assert "annotate_log_entry" in log_types


def test_new_incidents_and_removed_users_through_control(fresh_server: StandinServer) -> None:
    before = api_get(fresh_server, "/incidents", total="true").json()["total"]
    created = control(fresh_server, "/incidents", {"count": 3, "status": "triggered"})["incidents"]
    user_id = api_get(fresh_server, "/users").json()["users"][0]["id"]

    control(fresh_server, f"/users/{user_id}/remove")

    after = api_get(fresh_server, "/incidents", total="true").json()
    assert after["total"] == before + 3
    assert {incident["status"] for incident in created} == {"triggered"}
    users = list_all(fresh_server, "/users", "users")
    assert user_id not in {user["id"] for user in users}
    assert api_get(fresh_server, f"/users/{user_id}").status_code == 404


def test_stats_count_requests_per_route(fresh_server: StandinServer) -> None:
    control(fresh_server, "/stats/reset")
    api_get(fresh_server, "/users")
    api_get(fresh_server, "/users")
    api_get(fresh_server, f"/users/{fresh_server.dataset.users[0].id}")

    stats = requests.get(f"{fresh_server.url}/_control/stats", timeout=5).json()

    assert stats["total"] == 3
    assert stats["by_route"] == {"GET /users": 2, "GET /users/{id}": 1}


# ----------------------------------------------------------------------------- faults


def test_error_rate_of_one_gives_server_errors(fresh_server: StandinServer) -> None:
    control(fresh_server, "/options", {"error_rate": 1.0})

    statuses = {api_get(fresh_server, "/users").status_code for _ in range(12)}

    assert statuses <= {500, 502, 503}
    control(fresh_server, "/options", {"error_rate": 0.0})
    assert api_get(fresh_server, "/users").status_code == 200


def test_malformed_rate_of_one_gives_invalid_json(fresh_server: StandinServer) -> None:
    control(fresh_server, "/options", {"malformed_rate": 1.0})

    response = api_get(fresh_server, "/users")

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_latency_is_added_to_rest_calls(fresh_server: StandinServer) -> None:
    control(fresh_server, "/options", {"latency_ms": 200})

    started = time.perf_counter()
    api_get(fresh_server, "/abilities")

    assert time.perf_counter() - started >= 0.2


# ----------------------------------------------------------------------------- determinism, scale


def test_same_seed_and_now_give_the_same_account() -> None:
    first = generate_dataset(
        seed=3, incident_count=500, user_count=50, service_count=5, now=FIXED_NOW
    )
    second = generate_dataset(
        seed=3, incident_count=500, user_count=50, service_count=5, now=FIXED_NOW
    )
    other = generate_dataset(
        seed=4, incident_count=500, user_count=50, service_count=5, now=FIXED_NOW
    )

    def fingerprint(dataset: Any) -> list[Any]:
        return [
            [(user.id, user.email, user.role, user.last_sign_in_at) for user in dataset.users],
            [(service.id, service.name) for service in dataset.services],
            [
                (incident.id, incident.created_at, incident.status, incident.resolved_at)
                for incident in dataset.incidents
            ],
        ]

    assert fingerprint(first) == fingerprint(second)
    assert fingerprint(first) != fingerprint(other)


def test_generated_incidents_cover_two_years_with_some_data_loss_notes() -> None:
    dataset = generate_dataset(seed=5, incident_count=5000, user_count=50, now=FIXED_NOW)

    summary = dataset.summary()
    created = list(dataset.created_times)
    assert created == sorted(created)
    assert FIXED_NOW.timestamp() - created[0] > 700 * 86_400
    open_share = (
        summary["incidents_by_status"]["triggered"] + summary["incidents_by_status"]["acknowledged"]
    ) / summary["incidents"]
    assert 0.05 < open_share < 0.15
    assert summary["incidents_with_data_loss_note"] > 50
    assert summary["incidents_with_priority"] < summary["incidents"]


def test_benchmark_sized_account_generates_quickly_and_pages_fast() -> None:
    started = time.perf_counter()
    with StandinServer(
        StandinOptions(
            incident_count=100_000,
            user_count=5000,
            service_count=50,
            now=FIXED_NOW,
            rate_limit_per_minute=0,
        )
    ) as big:
        generated = time.perf_counter() - started
        session = requests.Session()
        session.headers.update(API_KEY_HEADERS)

        timings = {}
        for label, params in {
            "all-time page at offset 9900": {"date_range": "all", "offset": 9900, "limit": 100},
            "six-month window, total": {
                "since": "2024-12-01T00:00:00Z",
                "until": "2025-06-01T00:00:00Z",
                "total": "true",
                "limit": 100,
            },
            "open incidents, first call": {
                "date_range": "all",
                "statuses[]": ["triggered", "acknowledged"],
                "limit": 100,
            },
            "open incidents, next page": {
                "date_range": "all",
                "statuses[]": ["triggered", "acknowledged"],
                "limit": 100,
                "offset": 100,
            },
        }.items():
            page_started = time.perf_counter()
            response = session.get(f"{big.url}/incidents", params=params, timeout=60)
            timings[label] = time.perf_counter() - page_started
            assert response.status_code == 200
            assert len(response.json()["incidents"]) == 100

    print(f"\ngenerated 100,000 incidents and 5,000 users in {generated:.2f}s")
    for label, seconds in timings.items():
        print(f"  {label}: {seconds * 1000:.1f} ms")
    assert generated < 60


# ----------------------------------------------------------------------------- helpers


def list_all(server: StandinServer, path: str, collection: str, **params: Any) -> list[Any]:
    """Follow classic pagination to the end, as a client would."""
    items: list[Any] = []
    offset = 0
    while True:
        body = api_get(server, path, limit=100, offset=offset, **params).json()
        items.extend(body[collection])
        if not body["more"]:
            return items
        offset += 100


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)
