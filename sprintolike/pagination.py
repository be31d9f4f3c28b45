"""One way to paginate a list page: the page asked for, and the filters to keep in its links."""

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = PAGE_SIZE) -> Page:
    """The requested page (an out-of-range or malformed number gives the nearest valid page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def querystring_without_page(request: HttpRequest) -> str:
    """The request's filters, for the pagination links of `includes/pagination.html`."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
