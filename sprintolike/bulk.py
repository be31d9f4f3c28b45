"""Bulk SQL shared by the sync and the check evaluation."""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

from django.db import connections, models, router

Item = TypeVar("Item")

UPDATE_BATCH_SIZE = 1000


def chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    """Consecutive lists of at most ``size`` items (``itertools.batched`` arrives in 3.12)."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def bulk_update_rows(
    model: type[models.Model],
    rows: list[models.Model],
    field_names: Iterable[str],
    *,
    batch_size: int = UPDATE_BATCH_SIZE,
) -> None:
    """Write ``field_names`` of ``rows``, one statement per batch.

    On PostgreSQL this is ``UPDATE ... FROM (VALUES ...)``, several times cheaper in Python
    than Django's ``bulk_update`` (which builds a ``CASE WHEN pk = ...`` expression per row and
    field); other databases use ``bulk_update``.
    """
    if not rows:
        return
    names = list(dict.fromkeys(field_names))
    database = connections[router.db_for_write(model)]
    if database.vendor != "postgresql":
        model.objects.bulk_update(rows, names, batch_size=batch_size)
        return
    quote = database.ops.quote_name
    primary_key = model._meta.pk
    fields = [model._meta.get_field(name) for name in names]
    columns = [primary_key, *fields]
    row_placeholder = "(" + ", ".join(f"%s::{field.db_type(database)}" for field in columns) + ")"
    assignments = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in fields)
    column_list = ", ".join(quote(field.column) for field in columns)
    with database.cursor() as cursor:
        for batch in chunks(rows, batch_size):
            cursor.execute(
                f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # names only
                f"FROM (VALUES {', '.join([row_placeholder] * len(batch))}) AS v({column_list}) "
                f"WHERE t.{quote(primary_key.column)} = v.{quote(primary_key.column)}",
                [
                    field.get_db_prep_save(getattr(row, field.attname), database)
                    for row in batch
                    for field in columns
                ],
            )
