"""Every page under /o/<org_slug>/ and every API URL, read by an admin with junk query parameters
(non-numeric pages, unknown sorts and statuses, impossible dates, hostile strings) or with ids
that do not exist, is a page or a 4xx, never a server error; on an empty organisation too."""

from datetime import timedelta

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from api.models import TokenRole
from tenants.models import Role
from tests.api.conftest import CHECK_CODE, bearer, make_dataset
from tests.api.factories import ApiTokenFactory
from tests.factories import MembershipFactory, OrganizationFactory
from tests.foreign_objects import foreign_object_makers
from tests.urlwalk import org_urls

pytestmark = pytest.mark.django_db

JUNK = {
    "page": "abc",
    "sort": "nonsense",
    "order": "sideways",
    "check_status": "zzz",
    "status": "zzz",
    "start": "2024-13-45",
    "end": "not-a-date",
    "after": "%%%not-a-cursor",
    "before": "-1",
    "cursor": "garbage",
    "q": "x\x00y" + "a" * 3000,
    "tab": "../../etc",
    "step": "99",
    "tier": "999999999999999999999",
    "role": "zzz",
    "license": "zzz",
    "on_call": "maybe",
    "org_role": "abc",
    "source": "abc",
    "severity": "zzz",
    "data_loss": "zzz",
    "action": "zzz",
    "actor": "zzz",
    "identification": "zzz",
    "staff_status": "zzz",
    "failing": "zzz",
    "limit": "-5",
    "page_size": "abc",
}
JUNK_VARIANTS = [
    JUNK,
    {"page": "0"},
    {"page": "-1"},
    {"page": "99999999999999999999999"},
    {"start": "2024-02-30", "end": "1900-01-01"},
    {"start": "2030-01-01", "end": "2020-01-01"},
    {"start": "0001-01-01", "end": "9999-12-31", "created_from": "0001-01-01"},
    {"created_to": "9999-12-31", "created_from": "bad", "page_size": "100000"},
]


def own_kwargs(organization) -> dict:
    kwargs = {name: make(organization) for name, make in foreign_object_makers().items()}
    kwargs["check_code"] = CHECK_CODE
    return kwargs


def url_variants(url, ids):
    if not url.kwargs:
        yield {}
        return
    yield {name: ids[name] for name in url.kwargs}
    yield dict.fromkeys(url.kwargs, 987654)
    yield dict.fromkeys(url.kwargs, 10**20)  # beyond a bigint


def walk(client, organization, ids, headers) -> tuple[list[str], set]:
    failures, answered = [], set()
    for url in org_urls():
        for kwargs in url_variants(url, ids):
            try:
                path = reverse(url.name, kwargs={"org_slug": organization.slug, **kwargs})
            except NoReverseMatch:
                continue  # a kwarg value the pattern refuses (e.g. a check code as id)
            for params in [{}, *JUNK_VARIANTS]:
                response = client.get(path, params, **headers(url))
                answered.add((url.name.startswith("api:"), response.status_code))
                if response.status_code >= 500:
                    failures.append(f"GET {path} {sorted(params)}: {response.status_code}")
    return failures, answered


def api_headers(secret):
    return lambda url: bearer(secret) if url.name.startswith("api:") else {}


def admin_client_and_token(client, organization):
    user = MembershipFactory(organization=organization, role=Role.ADMIN).user
    client.force_login(user)
    secret = f"spl_junk-{organization.slug}"
    ApiTokenFactory(
        organization=organization,
        role=TokenRole.ADMIN,
        secret=secret,
        expires_at=timezone.now() + timedelta(days=1),
    )
    return secret


def test_junk_query_parameters_are_never_a_server_error(client):
    organization = OrganizationFactory()
    secret = admin_client_and_token(client, organization)
    make_dataset(organization)
    ids = own_kwargs(organization)

    failures, answered = walk(client, organization, ids, api_headers(secret))

    assert not failures, "\n".join(failures)
    assert {(False, 200), (True, 200), (True, 400)} <= answered  # pages, API signed in


def test_an_empty_organisation_with_junk_parameters_is_never_a_server_error(client):
    organization = OrganizationFactory()
    secret = admin_client_and_token(client, organization)

    missing = dict.fromkeys(foreign_object_makers(), 987654) | {"check_code": "no_such_check"}
    failures, _ = walk(client, organization, missing, api_headers(secret))

    assert not failures, "\n".join(failures)
