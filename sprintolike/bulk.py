"""Bulk SQL shared by the sync and the check evaluation."""

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from django.db import connections, models, router

Item = TypeVar("Item")

UPDATE_BATCH_SIZE = 1000
# Django's bulk_update (the fallback off PostgreSQL) builds one CASE WHEN per row and field,
# evaluated per row: quadratic in the batch, so it gets small batches whatever the caller asks.
FALLBACK_UPDATE_BATCH_SIZE = 100


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
        model.objects.bulk_update(
            rows, names, batch_size=min(batch_size, FALLBACK_UPDATE_BATCH_SIZE)
        )
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


# Field types whose Python values psycopg adapts as they are (no Django conversion needed).
_PLAIN_FIELD_TYPES = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.BooleanField,
    models.DateTimeField,
    models.ForeignKey,
)


def _copy_value_function(field: models.Field, database: Any) -> Callable[[Any], Any]:
    if isinstance(field, models.JSONField):
        from psycopg.types.json import Jsonb

        return lambda value: None if value is None else Jsonb(value)
    if isinstance(field, _PLAIN_FIELD_TYPES):
        return lambda value: value
    return lambda value: field.get_db_prep_save(value, database)


def bulk_insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (``{attname: value}``; missing columns take the field's default).

    On PostgreSQL this is ``COPY ... FROM STDIN`` built straight from the values: no model
    instances, no SQL to compile, no parameters to interpolate. Other databases use
    ``bulk_create``. Primary keys come from the identity column and are not read back.
    """
    if not rows:
        return
    database = connections[router.db_for_write(model)]
    if database.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows])
        return
    quote = database.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = [
        (field.attname, field.get_default(), _copy_value_function(field, database))
        for field in fields
    ]
    values = [
        [convert(row.get(attname, default)) for attname, default, convert in columns]
        for row in rows
    ]
    statement = (
        f"COPY {quote(model._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) FROM STDIN"
    )

    def copy_rows(sql: str, params: object, many: bool, context: object) -> None:
        with cursor.cursor.copy(sql) as copy:
            for row_values in values:
                copy.write_row(row_values)

    with database.cursor() as cursor:
        # Through Django's execute wrappers, so statement counters and query logs see it.
        cursor._execute_with_wrappers(statement, None, False, copy_rows)
