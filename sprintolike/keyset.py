"""Keyset pagination for long lists ordered newest first: every page costs the same.

``OFFSET`` pagination reads and throws away every row before the page (page 900 of 50 rows
reads 45,000), and its "page N of M" needs an exact count of every matching row on every view.
A keyset page instead starts right after (or before) the last row seen, through the index of
the list's order, and the total is counted only up to a cap ("10,000+" beyond it).

By default the list is ordered by ``(<datetime field> DESC, pk DESC)`` and the cursor is that
pair. A sorted list passes ``order=[(field, descending), ...]`` instead (e.g. ``[("number",
False), ("created_at_remote", True)]``); the primary key follows the last key's direction and
the cursor is the row's values of those keys, JSON in URL-safe base64. A cursor that does not
parse (tampered, or from another order) gives the first page.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
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


def _encode_values(row: Any, keys: Sequence[tuple[str, bool]]) -> str:
    values = []
    for name, _descending in keys:
        value = getattr(row, name)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode_values(
    value: str, queryset: QuerySet, keys: Sequence[tuple[str, bool]]
) -> list[Any] | None:
    """The cursor's values, each checked by its model field; None when it does not parse."""
    if not value or len(value) > 2000:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(raw, list) or len(raw) != len(keys):
        return None
    parsed = []
    for (name, _descending), item in zip(keys, raw, strict=True):
        if item is None or not isinstance(item, str | int) or isinstance(item, bool):
            return None
        try:
            meta = queryset.model._meta
            field = meta.pk if name == "pk" else meta.get_field(name)
            parsed.append(field.to_python(item))
        except (FieldDoesNotExist, ValidationError, TypeError, ValueError, OverflowError):
            return None
        if isinstance(parsed[-1], datetime) and parsed[-1].tzinfo is None:
            return None
    return parsed


def _beyond(keys: Sequence[tuple[str, bool]], values: Sequence[Any], *, forward: bool) -> Q:
    """Rows strictly after ``values`` in the order ``keys`` (before them when not forward)."""
    condition = Q(pk__in=[])
    equal = Q()
    for (name, descending), value in zip(keys, values, strict=True):
        later = "lt" if descending == forward else "gt"
        condition |= equal & Q(**{f"{name}__{later}": value})
        equal &= Q(**{name: value})
    # The same rows, with a plain range on the leading key that lets an index seek to the cursor.
    (name, descending), value = keys[0], values[0]
    return Q(**{f"{name}__{'lte' if descending == forward else 'gte'}": value}) & condition


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
    order: Sequence[tuple[str, bool]] | None = None,
) -> KeysetPage:
    """The page after ``?after=<cursor>``, before ``?before=<cursor>``, or the first page.

    A malformed cursor gives the first page, as a malformed page number does elsewhere.
    ``order`` (keys with their direction, the primary key added last) replaces the default
    ``(field DESC, pk DESC)``.
    """
    if order is not None and list(order) != [(field, True)]:
        return _keyset_paginate_sorted(
            request, queryset, order=order, per_page=per_page, count_cap=count_cap
        )
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


def _keyset_paginate_sorted(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    order: Sequence[tuple[str, bool]],
    per_page: int,
    count_cap: int,
) -> KeysetPage:
    keys = [*order, ("pk", order[-1][1])]
    after = _decode_values(request.GET.get("after", ""), queryset, keys)
    before = (
        _decode_values(request.GET.get("before", ""), queryset, keys) if after is None else None
    )

    def ordered(forward: bool) -> QuerySet:
        return queryset.order_by(
            *(f"-{name}" if descending == forward else name for name, descending in keys)
        )

    if before is not None:
        rows = list(ordered(False).filter(_beyond(keys, before, forward=False))[: per_page + 1])
        has_previous = len(rows) > per_page
        rows = rows[:per_page][::-1]
        has_next = True
    else:
        forward = ordered(True)
        if after is not None:
            forward = forward.filter(_beyond(keys, after, forward=True))
        rows = list(forward[: per_page + 1])
        has_next = len(rows) > per_page
        rows = rows[:per_page]
        has_previous = after is not None
    count, capped = count_capped(queryset, cap=count_cap)
    return KeysetPage(
        object_list=rows,
        next_cursor=_encode_values(rows[-1], keys) if rows and has_next else "",
        previous_cursor=_encode_values(rows[0], keys) if rows and has_previous else "",
        count=count,
        count_is_capped=capped,
    )


def querystring_without_cursor(request: HttpRequest) -> str:
    """The request's filters, for the links of ``includes/keyset_pagination.html``."""
    query = request.GET.copy()
    for name in CURSOR_PARAMETERS:
        query.pop(name, None)
    return query.urlencode()
