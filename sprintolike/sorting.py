"""One way to sort a list page by its columns: `?sort=name` ascending, `?sort=-name` descending.

Only the columns a view names can be sorted on (the query string never reaches `order_by`), and
every order ends with the primary key so pages never repeat or skip a row. Headers render with
`includes/sortable_th.html`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db.models import Expression, F, OrderBy, QuerySet
from django.http import HttpRequest

SORT_PARAMETER = "sort"


@dataclass(frozen=True)
class SortHeader:
    """What a column header needs: its link, whether it is the current order, and which way."""

    querystring: str
    active: bool
    descending: bool

    @property
    def aria_sort(self) -> str:
        if not self.active:
            return "none"
        return "descending" if self.descending else "ascending"

    @property
    def indicator(self) -> str:
        if not self.active:
            return "↕"
        return "▼" if self.descending else "▲"


@dataclass(frozen=True)
class Sorting:
    key: str
    descending: bool
    headers: Mapping[str, SortHeader]
    fields: Sequence[str | Expression]

    @property
    def value(self) -> str:
        """The `sort` value to keep in filter forms (a hidden input)."""
        return f"-{self.key}" if self.descending else self.key

    def order_by(self) -> list[OrderBy]:
        expressions = []
        for field in self.fields:
            expression = F(field) if isinstance(field, str) else field
            expressions.append(
                expression.desc(nulls_last=True)
                if self.descending
                else expression.asc(nulls_last=True)
            )
        tie_breaker = F("pk").desc() if self.descending else F("pk").asc()
        return [*expressions, tie_breaker]

    def apply(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by(*self.order_by())


def sorting_from_request(
    request: HttpRequest,
    *,
    columns: Mapping[str, str | Expression | Sequence[str | Expression]],
    default: str,
) -> Sorting:
    """The order asked for in `?sort=`, if it names one of `columns`; otherwise `default`.

    `columns` maps a column key to the model field (or fields, or expressions such as a rank
    `Case`) it sorts by, e.g. `{"name": "name", "org_role": ("org_role__name", "name")}`;
    `default` is a key, with a leading `-` for descending.
    """
    requested = request.GET.get(SORT_PARAMETER, "")
    key = requested.removeprefix("-")
    if key not in columns:
        requested, key = default, default.removeprefix("-")
    descending = requested.startswith("-")

    headers = {}
    for column in columns:
        query = request.GET.copy()
        for name in ("page", "after", "before"):  # a new order starts at its first page
            query.pop(name, None)
        # A click on the current column reverses it; a click on another sorts it ascending.
        query[SORT_PARAMETER] = f"-{column}" if column == key and not descending else column
        headers[column] = SortHeader(
            querystring=query.urlencode(), active=column == key, descending=descending
        )
    fields = columns[key]
    return Sorting(
        key=key,
        descending=descending,
        headers=headers,
        fields=(fields,) if isinstance(fields, str | Expression) else tuple(fields),
    )
