"""The REST API's routes: `/api/v1/orgs/<org_slug>/...`, the OpenAPI schema and its docs page.

Adding a domain app's endpoints (access, spend, ...) takes two steps:

1. Write `<app>/apis.py` with views subclassing `api.base.OrgScopedApiView`:

       class CriticalSystemListApi(OrgScopedApiView):
           read_action = Action.VIEW                  # GET, HEAD, OPTIONS
           write_action = Action.MANAGE_ACCESS_RULES  # POST, PUT, PATCH, DELETE (or None)
           ordering = ("name", "id")                  # unique, indexed: the cursor's key
           serializer_class = CriticalSystemSerializer   # the response shape (schema)

           def scoped_queryset(self, organization):   # never override get_queryset
               filters = self.validated_query(CriticalSystemFilters)  # 400 names the field
               return selectors.critical_system_list(organization=organization, **filters)

           @extend_schema(  # many=True: the schema shows the paginated envelope
               parameters=[CriticalSystemFilters],
               responses=CriticalSystemSerializer(many=True),
           )
           def get(self, request, **kwargs):
               return self.paginated(  # the base re-filters by the organisation
                   self.get_queryset(),
                   lambda page: CriticalSystemSerializer(page, many=True).data,
               )

       app_name = "access"
       urlpatterns = [path("critical-systems/", CriticalSystemListApi.as_view(), name="...")]

   Detail views set `lookup_url_kwarg = "critical_system_id"` and call `self.get_object()`
   (same 404 for missing and foreign). Writes validate the body with a serializer
   (`self.validated_body(...)`), call the app's service with `acting_user=self.acting_user`,
   and turn the service's refusal into `api.base.refuse(message, field=...)` (400) or
   `api.errors.Conflict` (409). Serializers only describe shapes: no queries, no rules.
2. Add `"<app>.apis"` to `DOMAIN_API_MODULES` below. The tests find the new URLs by walking
   the URLconf: `tests/api/test_token_access.py` (every credential on every endpoint: member
   GET 200, member write 403, ...), `tests/api/test_isolation.py` and `tests/test_isolation.py`
   (foreign slug and ids: 404, nothing changed) and `tests/api/test_schemathesis.py`. They need
   a maker for each new URL kwarg in `tests/<app>/objects.py` (`FOREIGN_OBJECT_MAKERS`), and
   the schemathesis test reaches real rows when the kwarg's ids are added to its pinned path
   parameters (`_pin_path_parameters`); objects it reads should exist in `make_dataset`
   (`tests/api/conftest.py`).

URL names are namespaced `api:<app>:<name>`.
"""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView

from api.docs import ApiDocsView
from api.errors import error_body

app_name = "api"

DOMAIN_API_MODULES = [
    "tenants.apis",
    "integrations.apis",
    "checks.apis",
    "incidents.apis",
    "access.apis",
    "spend.apis",
]

org_patterns = [path("", include(module)) for module in DOMAIN_API_MODULES]

urlpatterns = [
    path("v1/orgs/<slug:org_slug>/", include(org_patterns)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"", lambda request, **kwargs: api_not_found(request), name="not_found"),
]


def api_not_found(request: HttpRequest) -> JsonResponse:
    """An unknown API path gets the API's error body, not the HTML 404 page."""
    return JsonResponse(error_body(code="not_found", message="Not found."), status=404)
