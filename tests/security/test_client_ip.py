"""The client IP behind proxies: a short X-Forwarded-For never turns the login page into a 500."""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from tenants.adapters import client_ip
from tests.factories import TEST_PASSWORD, UserFactory

PROXY_IP = "10.0.0.1"


def request_with(forwarded_for: str | None, remote_addr: str = PROXY_IP):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **headers)


def test_the_entry_added_by_the_outermost_trusted_proxy_is_the_client(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_with("198.51.100.1, 203.0.113.5, 10.0.0.2")) == "203.0.113.5"


def test_fewer_entries_than_trusted_proxies_use_the_left_most_entry(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 3
    assert client_ip(request_with("203.0.113.5, 10.0.0.2")) == "203.0.113.5"


def test_no_or_malformed_forwarded_for_falls_back_to_remote_addr(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_with(None)) == PROXY_IP
    assert client_ip(request_with(" , ")) == PROXY_IP
    assert client_ip(request_with("not-an-ip")) == PROXY_IP


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_with("203.0.113.5")) == PROXY_IP


@pytest.mark.django_db
def test_login_with_a_short_forwarded_for_signs_in_instead_of_failing(settings, client):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 3
    user = UserFactory()

    response = client.post(
        reverse("account_login"),
        {"login": user.email, "password": TEST_PASSWORD},
        REMOTE_ADDR=PROXY_IP,
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )

    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_failed_logins_behind_a_short_forwarded_for_are_still_throttled(settings, client):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 3
    user = UserFactory()
    for attempt in range(20):
        response = client.post(
            reverse("account_login"),
            {"login": f"nobody{attempt // 4}@example.com", "password": "wrong"},
            REMOTE_ADDR=PROXY_IP,
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
        assert response.status_code != 500

    client.post(
        reverse("account_login"),
        {"login": user.email, "password": TEST_PASSWORD},
        REMOTE_ADDR=PROXY_IP,
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    assert "_auth_user_id" not in client.session
