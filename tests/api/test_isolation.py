"""Tenant isolation of the API: every /api/v1/orgs/<slug>/ URL, called with an admin token on
another organisation's slug, on its own slug with another organisation's ids, or with ids that
do not exist, is the same 404 and changes nothing."""

import pytest
from django.urls import reverse

from api.models import TokenRole
from tests.api.conftest import api_urls, bearer, make_dataset, view_methods
from tests.factories import OrganizationFactory
from tests.foreign_objects import foreign_object_makers, kwargs_without_makers
from tests.test_isolation import database_snapshot


@pytest.mark.django_db
def test_every_api_url_is_404_for_a_foreign_org_and_its_objects(api, make_token):
    own_org, foreign_org = OrganizationFactory(), OrganizationFactory()
    make_dataset(own_org)
    make_dataset(foreign_org)
    secret = make_token(own_org, TokenRole.ADMIN)
    foreign_ids = {name: make(foreign_org) for name, make in foreign_object_makers().items()}
    urls = api_urls()
    assert not kwargs_without_makers(urls, foreign_ids), "Add makers in tests/<app>/objects.py"
    api.get(reverse("api:checks:check_list", args=[own_org.slug]), **bearer(secret))  # last used

    before = database_snapshot()
    checked = 0
    for url in urls:
        ids = {name: foreign_ids[name] for name in url.kwargs}
        variants = [{"org_slug": foreign_org.slug, **ids}]
        if url.kwargs:
            variants.append({"org_slug": own_org.slug, **ids})
            variants.append({"org_slug": own_org.slug, **dict.fromkeys(url.kwargs, 987654)})
        for kwargs in variants:
            path = reverse(url.name, kwargs=kwargs)
            for method in {"get", "post", "patch", *view_methods(url)}:
                response = getattr(api, method)(path, data={}, format="json", **bearer(secret))
                assert response.status_code == 404, (
                    f"{method.upper()} {path} ({url.name}) gave {response.status_code}"
                )
                assert response.json()["error"]["code"] == "not_found"
                checked += 1
    assert checked > 30
    assert database_snapshot() == before, "A refused API request changed data"
