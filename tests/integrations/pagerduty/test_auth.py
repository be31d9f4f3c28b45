"""How the client authorizes requests: API key or OAuth bearer, refreshed once after a 401."""

from __future__ import annotations

import pytest
import responses

from integrations.pagerduty.auth import ApiKeyAuthorizer, BearerAuthorizer
from integrations.pagerduty.errors import PagerDutyUnauthorized
from tests.integrations.pagerduty.fakes import API_KEY, BASE_URL, make_client

AUTH_FAILED = {"error": {"message": "Authentication failed", "code": 2006}}


def test_authorizers_build_pagerduty_headers_and_hide_secrets() -> None:
    assert ApiKeyAuthorizer("key-1").authorization_header() == "Token token=key-1"
    assert BearerAuthorizer("access-1").authorization_header() == "Bearer access-1"
    assert "key-1" not in repr(ApiKeyAuthorizer("key-1"))
    assert "access-1" not in repr(BearerAuthorizer("access-1"))
    assert ApiKeyAuthorizer("key-1").refresh() is False, "an API key cannot be refreshed"


def test_tokens_never_appear_in_logs(caplog: pytest.LogCaptureFixture) -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, f"{BASE_URL}/incidents/PABC123", status=500)
        mock.add(responses.GET, f"{BASE_URL}/incidents/PABC123", json={"incident": {"id": "P"}})
        client = make_client()
        with caplog.at_level("DEBUG", logger="integrations.pagerduty"):
            client.get_incident("PABC123")
    assert API_KEY not in caplog.text
    assert "GET /incidents/{id} -> 500" in caplog.text


@responses.activate
def test_post_sends_json_content_type_and_bearer_token() -> None:
    responses.add(
        responses.POST, f"{BASE_URL}/analytics/raw/users", json={"data": [], "more": False}
    )
    client = make_client(auth=BearerAuthorizer("access-1"))

    assert list(client.iter_analytics_raw_users()) == []

    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Authorization"] == "Bearer access-1"


@responses.activate
def test_401_refreshes_once_and_retries_with_the_new_token() -> None:
    responses.add(responses.GET, f"{BASE_URL}/incidents/PINC001", status=401, json=AUTH_FAILED)
    responses.add(
        responses.GET, f"{BASE_URL}/incidents/PINC001", json={"incident": {"id": "PINC001"}}
    )
    refreshes: list[str] = []

    def refresh() -> str:
        refreshes.append("called")
        return "access-2"

    client = make_client(auth=BearerAuthorizer("access-1", refresh_callback=refresh))

    assert client.get_incident("PINC001") == {"id": "PINC001"}
    assert refreshes == ["called"]
    assert [call.request.headers["Authorization"] for call in responses.calls] == [
        "Bearer access-1",
        "Bearer access-2",
    ]


@responses.activate
def test_401_after_refresh_raises_unauthorized_without_refreshing_again() -> None:
    responses.add(responses.GET, f"{BASE_URL}/incidents/PINC001", status=401, json=AUTH_FAILED)
    refreshes: list[str] = []

    def refresh() -> str:
        refreshes.append("called")
        return f"access-{len(refreshes) + 1}"

    client = make_client(auth=BearerAuthorizer("access-1", refresh_callback=refresh))

    with pytest.raises(PagerDutyUnauthorized):
        client.get_incident("PINC001")
    assert refreshes == ["called"]
    assert client.request_count == 2


@responses.activate
def test_401_without_refresh_raises_unauthorized_asking_to_reconnect() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", status=401, json=AUTH_FAILED)
    client = make_client()

    with pytest.raises(PagerDutyUnauthorized) as raised:
        client.list_licenses()

    assert raised.value.status_code == 401
    assert raised.value.error_code == 2006
    assert "Reconnect" in raised.value.message
    assert client.request_count == 1


@responses.activate
def test_refresh_callback_returning_none_raises_unauthorized() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", status=401, json=AUTH_FAILED)
    client = make_client(auth=BearerAuthorizer("access-1", refresh_callback=lambda: None))

    with pytest.raises(PagerDutyUnauthorized):
        client.list_licenses()
