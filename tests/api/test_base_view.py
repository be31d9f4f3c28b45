"""The org-scoped base view: subclasses cannot take over the organisation filter."""

import pytest

from api.base import OrgScopedApiView
from tests.api.conftest import api_urls


def test_a_subclass_overriding_get_queryset_is_refused_at_import():
    with pytest.raises(TypeError, match="scoped_queryset"):

        class LeakyApi(OrgScopedApiView):
            def get_queryset(self):
                return None


def test_every_api_view_is_org_scoped_and_declares_its_actions():
    urls = api_urls()
    assert {"api:incidents:incident_list", "api:tenants:staff_list", "api:checks:check_list"} <= {
        url.name for url in urls
    }
    for url in urls:
        view_class = url.callback.cls
        assert issubclass(view_class, OrgScopedApiView), url.name
        assert not view_class.dangerously_unscoped, f"{url.name} reads across organisations"
        if any(hasattr(view_class, method) for method in ("post", "put", "patch", "delete")):
            assert view_class.write_action is not None, f"{url.name} writes without an action"
