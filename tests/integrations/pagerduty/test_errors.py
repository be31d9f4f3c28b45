"""PagerDuty's error answers become typed errors whose message says what to do."""

from __future__ import annotations

import pytest
import responses

from integrations.pagerduty.errors import (
    PagerDutyBadRequest,
    PagerDutyForbidden,
    PagerDutyMalformedResponse,
    PagerDutyNotFound,
    PagerDutyPaymentRequired,
)
from tests.integrations.pagerduty.fakes import BASE_URL, make_client


@responses.activate
def test_402_raises_payment_required() -> None:
    responses.add(
        responses.POST,
        f"{BASE_URL}/analytics/raw/users",
        status=402,
        json={"error": {"message": "Missing Account Ability", "code": 2014}},
    )
    client = make_client()

    with pytest.raises(PagerDutyPaymentRequired) as raised:
        list(client.iter_analytics_raw_users())
    assert raised.value.error_code == 2014
    assert "plan" in raised.value.message


@responses.activate
def test_403_raises_forbidden_naming_the_missing_scope() -> None:
    responses.add(
        responses.GET,
        f"{BASE_URL}/licenses",
        status=403,
        json={"error": {"message": "Access Denied", "code": 2010}},
    )
    client = make_client()

    with pytest.raises(PagerDutyForbidden) as raised:
        client.list_licenses()

    assert raised.value.required_scope == "licenses.read"
    assert "licenses.read" in raised.value.message


@responses.activate
def test_400_raises_bad_request_with_pagerduty_errors() -> None:
    responses.add(
        responses.GET,
        f"{BASE_URL}/users",
        status=400,
        json={"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["bad x"]}},
    )
    client = make_client()

    with pytest.raises(PagerDutyBadRequest) as raised:
        list(client.iter_pages("/users", collection="users"))
    assert raised.value.errors == ("bad x",)
    assert "bad x" in raised.value.message


@responses.activate
def test_404_raises_not_found() -> None:
    responses.add(responses.GET, f"{BASE_URL}/incidents/PGONE01", status=404)
    client = make_client()

    with pytest.raises(PagerDutyNotFound):
        client.get_incident("PGONE01")


@responses.activate
def test_non_json_2xx_is_retried_once_then_raises_malformed() -> None:
    responses.add(responses.GET, f"{BASE_URL}/licenses", body="<html>oops</html>", status=200)
    client = make_client()

    with pytest.raises(PagerDutyMalformedResponse):
        client.list_licenses()
    assert client.request_count == 2


@responses.activate
def test_2xx_without_the_collection_key_raises_malformed() -> None:
    responses.add(responses.GET, f"{BASE_URL}/services", json={"more": False})
    client = make_client()

    with pytest.raises(PagerDutyMalformedResponse, match="services"):
        list(client.iter_pages("/services", collection="services"))
    assert client.request_count == 1
