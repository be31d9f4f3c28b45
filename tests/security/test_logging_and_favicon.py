"""A refused request is one line in the log; a server error keeps its traceback; a favicon."""

import io
import logging

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.urls import path, reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def console_log():
    """What the app's one log handler (the root's console) writes."""
    handler = next(
        handler
        for handler in logging.getLogger().handlers
        if type(handler) is logging.StreamHandler
    )
    stream = io.StringIO()
    # Swap the stream without flushing the old one: pytest may have closed the capture stream
    # an earlier test's logging set-up left on the handler.
    previous, handler.stream = handler.stream, stream
    yield stream
    handler.stream = previous


def test_a_403_is_logged_as_one_line(member_client, organization, console_log):
    response = member_client.post(
        reverse("tenants:org_role_list", args=[organization.slug]), {"name": "SRE"}
    )

    assert response.status_code == 403
    lines = console_log.getvalue().splitlines()
    assert len(lines) == 1
    assert "Forbidden (Permission denied): " in lines[0]
    assert "Traceback" not in console_log.getvalue()


def test_django_records_reach_one_handler_only():
    assert logging.getLogger("django").handlers == []


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_keeps_its_traceback(client, console_log):
    client.raise_request_exception = False
    assert client.get("/boom/").status_code == 500
    assert "Traceback" in console_log.getvalue() and "RuntimeError: boom" in console_log.getvalue()


def test_favicon_is_a_static_svg_linked_from_every_layout(client):
    assert finders.find("favicon.svg")
    login_page = client.get(reverse("account_login")).content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in login_page
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
