"""The API docs page: Swagger UI from drf-spectacular-sidecar's static files, with its start-up
script served as a file (SpectacularSwaggerSplitView) so the strict Content-Security-Policy holds
without 'unsafe-inline' scripts. Swagger UI styles its widgets with inline `style` attributes,
so this page alone allows inline styles (never scripts)."""

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularSwaggerSplitView


@method_decorator(csp_update({"style-src": ["'unsafe-inline'"]}), name="dispatch")
class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
