"""Every API endpoint, with every kind of credential: none, garbage, revoked, expired, another
organisation's, member and admin tokens. Endpoints are found by walking the URLconf, so a new
app's endpoints are covered as soon as they are routed."""

import pytest
from django.urls import reverse

from api.models import TokenRole
from tests.api.conftest import api_urls, bearer, make_dataset, own_url_kwargs, view_methods
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

READS = {"get"}


def _paths(organization):
    ids = own_url_kwargs(organization)
    for url in api_urls():
        path = reverse(
            url.name, kwargs={"org_slug": organization.slug, **{k: ids[k] for k in url.kwargs}}
        )
        for method in view_methods(url):
            yield url.name, path, method


def _call(api, method, path, headers):
    return getattr(api, method)(path, data={}, format="json", **headers)


def assert_error(response, status, code):
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]


def test_without_a_valid_token_every_endpoint_is_401(api, organization, make_token):
    make_dataset(organization)
    credentials = {
        "none": {},
        "garbage": bearer("spl_not-a-token"),
        "malformed": {"HTTP_AUTHORIZATION": "Bearer two parts"},
        "revoked": bearer(make_token(organization, TokenRole.ADMIN, revoked=True)),
        "expired": bearer(make_token(organization, TokenRole.ADMIN, expired=True)),
    }
    checked = 0
    for name, path, method in _paths(organization):
        for kind, headers in credentials.items():
            response = _call(api, method, path, headers)
            code = "not_authenticated" if kind == "none" else "authentication_failed"
            assert response.status_code == 401, f"{kind} {method} {name}: {response.status_code}"
            assert_error(response, 401, code)
            assert response["WWW-Authenticate"].startswith("Bearer")
            checked += 1
    assert checked > 50


def test_another_organisations_token_is_404_everywhere(api, organization, make_token):
    make_dataset(organization)
    foreign_secret = make_token(OrganizationFactory(), TokenRole.ADMIN)
    for _name, path, method in _paths(organization):
        response = _call(api, method, path, bearer(foreign_secret))
        assert_error(response, 404, "not_found")


def test_member_token_reads_everything_and_writes_nothing(api, organization, member_token):
    make_dataset(organization)
    for name, path, method in _paths(organization):
        response = _call(api, method, path, bearer(member_token))
        if method in READS:
            assert response.status_code == 200, f"GET {name}: {response.status_code}"
        else:
            assert response.status_code == 403, f"{method} {name}: {response.status_code}"
            assert_error(response, 403, "permission_denied")


def test_admin_token_may_write_everywhere(api, organization, admin_token):
    make_dataset(organization)
    for name, path, method in _paths(organization):
        response = _call(api, method, path, bearer(admin_token))
        assert response.status_code not in (401, 403, 404, 500), (
            f"{method} {name}: {response.status_code} {response.content[:200]}"
        )


def test_session_users_get_the_browsable_api(client, organization, member, member_client):
    path = reverse("api:checks:check_list", args=[organization.slug])
    response = member_client.get(path, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Check List" in response.content or b"checks" in response.content
    assert (
        member_client.post(
            reverse("api:tenants:staff_list", args=[organization.slug]), {}
        ).status_code
        == 403
    )
