"""Keyset pagination for long lists ordered newest first: every page costs the same.

``OFFSET`` pagination reads and throws away every row before the page (page 900 of 50 rows
reads 45,000), and its "page N of M" needs an exact count of every matching row on every view.
A keyset page instead starts right after (or before) the last row seen, through the index of
the list's order, and the total is counted only up to a cap ("10,000+" beyond it).

The list must be ordered by ``(<datetime field> DESC, pk DESC)``; the cursor is that pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import OperationalError, connections, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50
COUNT_CAP = 10_000
COUNT_BUDGET_MS = 60
CURSOR_PARAMETERS = ("after", "before", "page")


@dataclass(frozen=True)
class KeysetPage:
    """One page, with the cursors of its neighbours ('' when there is none)."""

    object_list: list[Any]
    next_cursor: str
    previous_cursor: str
    count: int | None  # None: too many to count within the page's time budget
    count_is_capped: bool

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous


def _cursor(row: Any, field: str) -> str:
    return f"{getattr(row, field).isoformat()}~{row.pk}"


def _parse_cursor(value: str) -> tuple[datetime, int] | None:
    moment, _, primary_key = value.partition("~")
    try:
        return datetime.fromisoformat(moment), int(primary_key)
    except ValueError:
        return None


def count_capped(
    queryset: QuerySet, *, cap: int = COUNT_CAP, budget_milliseconds: int = COUNT_BUDGET_MS
) -> tuple[int | None, bool]:
    """How many rows match, counting at most ``cap + 1``: (count, whether it went past cap).

    On PostgreSQL the count may take at most ``budget_milliseconds`` (a selective filter over
    many rows can need a scan of them all); past that the count is None: "many".
    """
    limited = queryset.order_by()[: cap + 1]
    database = connections[queryset.db]
    if database.vendor != "postgresql":
        count = limited.count()
        return min(count, cap), count > cap
    try:
        with transaction.atomic(using=queryset.db):
            with database.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(budget_milliseconds)}")
            count = limited.count()
    except OperationalError:
        return None, True
    return min(count, cap), count > cap


def keyset_paginate(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    field: str,
    per_page: int = PAGE_SIZE,
    count_cap: int = COUNT_CAP,
) -> KeysetPage:
    """The page after ``?after=<cursor>``, before ``?before=<cursor>``, or the first page.

    A malformed cursor gives the first page, as a malformed page number does elsewhere.
    """
    after = _parse_cursor(request.GET.get("after", ""))
    before = _parse_cursor(request.GET.get("before", "")) if after is None else None
    newest_first = queryset.order_by(f"-{field}", "-pk")
    if before is not None:
        moment, primary_key = before
        newer = queryset.filter(
            Q(**{f"{field}__gt": moment}) | Q(**{field: moment, "pk__gt": primary_key})
        ).order_by(field, "pk")
        rows = list(newer[: per_page + 1])
        more_newer = len(rows) > per_page
        rows = rows[:per_page][::-1]
        has_older = True
        has_newer = more_newer
    else:
        if after is not None:
            moment, primary_key = after
            newest_first = newest_first.filter(
                Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "pk__lt": primary_key})
            )
        rows = list(newest_first[: per_page + 1])
        has_older = len(rows) > per_page
        rows = rows[:per_page]
        has_newer = after is not None
    count, capped = count_capped(queryset, cap=count_cap)
    return KeysetPage(
        object_list=rows,
        next_cursor=_cursor(rows[-1], field) if rows and has_older else "",
        previous_cursor=_cursor(rows[0], field) if rows and has_newer else "",
        count=count,
        count_is_capped=capped,
    )


def querystring_without_cursor(request: HttpRequest) -> str:
    """The request's filters, for the links of ``includes/keyset_pagination.html``."""
    query = request.GET.copy()
    for name in CURSOR_PARAMETERS:
        query.pop(name, None)
    return query.urlencode()
