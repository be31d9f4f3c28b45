"""Tenant isolation: another organisation's pages and objects are a 404 that changes nothing."""

import pytest
from django.urls import reverse

from tenants.models import Role
from tests.factories import MembershipFactory, OrganizationFactory
from tests.foreign_objects import (
    foreign_object_makers,
    kwargs_without_makers,
    project_app_configs,
)
from tests.urlwalk import OrgUrl, org_urls


def database_snapshot() -> dict:
    snapshot = {}
    for app_config in project_app_configs():
        for model in app_config.get_models():
            snapshot[model._meta.label] = list(model.objects.order_by("pk").values())
    return snapshot


def test_the_walk_finds_the_org_pages_and_apps_of_every_package():
    names = {url.name for url in org_urls()}
    assert {"tenants:dashboard", "tenants:staff_list", "tenants:staff_edit"} <= names
    assert {"incidents:incident_detail", "checks:special_case_create"} <= names
    labels = {config.label for config in project_app_configs()}
    assert {"tenants", "integrations", "checks", "incidents", "spend"} <= labels
    assert "auth" not in labels


def test_makers_come_from_each_test_package():
    makers = foreign_object_makers()
    assert {"incident_id", "entity_id", "connection_id", "staff_id"} <= set(makers)


def test_a_url_kwarg_without_a_maker_fails_the_walk():
    url = OrgUrl("newapp:thing_detail", ("thing_id",), callback=None)
    assert kwargs_without_makers([url], foreign_object_makers()) == ["thing_id"]


@pytest.mark.django_db
def test_every_org_url_is_404_for_a_foreign_org_and_its_objects(client):
    own_org = OrganizationFactory()
    foreign_org = OrganizationFactory()
    visitor = MembershipFactory(organization=own_org, role=Role.OWNER).user
    MembershipFactory(organization=foreign_org, role=Role.OWNER)
    foreign_ids = {name: make(foreign_org) for name, make in foreign_object_makers().items()}
    client.force_login(visitor)

    urls = org_urls()
    missing = kwargs_without_makers(urls, foreign_ids)
    assert not missing, f"Add makers for these URL kwargs to tests/<app>/objects.py: {missing}"

    before = database_snapshot()
    checked = 0
    for url in urls:
        ids = {name: foreign_ids[name] for name in url.kwargs}
        variants = [
            {"org_slug": foreign_org.slug, **ids},  # not a member of that org
            {"org_slug": own_org.slug, **ids},  # own org, foreign objects
        ]
        if url.kwargs:
            variants.append({"org_slug": own_org.slug, **dict.fromkeys(url.kwargs, 987654)})
        for kwargs in variants:
            path = reverse(url.name, kwargs=kwargs)
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                if method == "get" and response.status_code == 405:
                    continue
                if not url.kwargs and kwargs["org_slug"] == own_org.slug:
                    continue  # the visitor's own list pages are allowed
                assert response.status_code == 404, (
                    f"{method.upper()} {path} ({url.name}) gave {response.status_code}"
                )
                checked += 1
    assert checked > 10
    assert database_snapshot() == before, "A refused request changed data"


def test_every_org_view_declares_the_action_it_needs():
    for url in org_urls():
        assert hasattr(url.callback, "required_action"), (
            f"{url.name} is not wrapped by tenants.access.org_view"
        )
