"""Bulk, idempotent upserts of one page of synced records.

One query reads the rows already stored for the page's external ids; new rows are inserted in
one statement (``COPY`` on PostgreSQL) and only rows whose values changed are written, with one
UPDATE of just the changed columns. Running the same page twice therefore writes nothing the
second time. Each page is written in its own transaction (``upsert_page``), so a failure keeps
what was stored before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connections, models, router, transaction

from integrations.models import Connection
from sprintolike.bulk import bulk_insert_rows, bulk_update_rows, chunks

# Receives the stored row (None for a new one) and the page's values; may edit the values.
Adjust = Callable[[models.Model | None, dict[str, Any]], None]
REMOVAL_BATCH_SIZE = 500


@dataclass
class ResourceCounts:
    """What one sync did to one kind of record."""

    seen: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "created": self.created,
            "updated": self.updated,
            "removed": self.removed,
        }


@dataclass
class UpsertResult:
    created: list[str] = field(default_factory=list)
    changed_fields: dict[str, list[str]] = field(default_factory=dict)


class BulkLoadStatistics:
    """Refresh PostgreSQL's planner statistics while a sync loads many rows into a table.

    A table that grows from a few rows to hundreds of thousands within one sync keeps the
    statistics of its empty self until autovacuum notices, and the planner then scans whole
    tables for each page's lookups. As PostgreSQL's documentation advises after bulk loads, the
    table is analyzed when the rows inserted by this run reach 5,000, then 4× more each time.
    """

    FIRST_THRESHOLD = 5_000
    GROWTH_FACTOR = 4

    def __init__(self) -> None:
        self._inserted: dict[type[models.Model], int] = {}
        self._next_analyze: dict[type[models.Model], int] = {}

    def note_inserted(self, model: type[models.Model], count: int) -> None:
        if not count:
            return
        inserted = self._inserted.get(model, 0) + count
        self._inserted[model] = inserted
        threshold = self._next_analyze.get(model, self.FIRST_THRESHOLD)
        if inserted < threshold:
            return
        self._next_analyze[model] = inserted * self.GROWTH_FACTOR
        database = connections[router.db_for_write(model)]
        if database.vendor == "postgresql":
            with database.cursor() as cursor:
                cursor.execute(f"ANALYZE {database.ops.quote_name(model._meta.db_table)}")


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def upsert_records(
    model: type[models.Model],
    *,
    connection: Connection,
    records: Mapping[str, dict[str, Any]],
    now: datetime,
    counts: ResourceCounts | None = None,
    adjust: Adjust | None = None,
    create: bool = True,
    statistics: BulkLoadStatistics | None = None,
) -> UpsertResult:
    """Insert new records and update changed ones, keyed by ``(connection, external_id)``.

    ``records`` maps external ids to field values (foreign keys by attname). Records marked
    with ``first_seen_at``/``synced_at`` get ``first_seen_at`` on insert and ``synced_at``
    whenever they are written: ``synced_at`` is "last changed by a sync", so an unchanged
    record is never rewritten. ``create=False`` only updates rows that already exist.
    """
    result = UpsertResult()
    if counts is not None:
        counts.seen += len(records)
    if not records:
        return result
    attnames = set().union(*(values.keys() for values in records.values()))
    field_names = {model._meta.get_field(attname).name for attname in attnames}
    tracks_sync_times = _has_field(model, "synced_at")
    stored = {
        row.external_id: row
        for row in model.objects.filter(
            connection_id=connection.pk, external_id__in=list(records)
        ).only("pk", "external_id", *field_names)
    }
    new_rows: list[dict[str, Any]] = []
    changed_rows: list[models.Model] = []
    changed_field_names: set[str] = set()
    for external_id, page_values in records.items():
        values = dict(page_values)
        row = stored.get(external_id)
        if adjust is not None:
            adjust(row, values)
        if row is None:
            if not create:
                continue
            row_values = {
                "organization_id": connection.organization_id,
                "connection_id": connection.pk,
                "external_id": external_id,
                **values,
            }
            if tracks_sync_times:
                row_values.update(first_seen_at=now, synced_at=now)
            new_rows.append(row_values)
            result.created.append(external_id)
            continue
        changed = [name for name, value in values.items() if getattr(row, name) != value]
        if not changed:
            continue
        for name in changed:
            setattr(row, name, values[name])
        if tracks_sync_times:
            row.synced_at = now
        changed_rows.append(row)
        changed_field_names.update(model._meta.get_field(name).name for name in changed)
        result.changed_fields[external_id] = changed
    if new_rows:
        bulk_insert_rows(model, new_rows)
        if statistics is not None:
            statistics.note_inserted(model, len(new_rows))
    if changed_rows:
        update_fields = sorted(
            changed_field_names | ({"synced_at"} if tracks_sync_times else set())
        )
        bulk_update_rows(model, changed_rows, update_fields)
    if counts is not None:
        counts.created += len(new_rows)
        counts.updated += len(changed_rows)
    return result


def upsert_page(
    model: type[models.Model],
    *,
    connection: Connection,
    records: Mapping[str, dict[str, Any]],
    now: datetime,
    counts: ResourceCounts | None = None,
    adjust: Adjust | None = None,
    create: bool = True,
    statistics: BulkLoadStatistics | None = None,
) -> UpsertResult:
    """``upsert_records`` for one page, in its own transaction."""
    with transaction.atomic():
        return upsert_records(
            model,
            connection=connection,
            records=records,
            now=now,
            counts=counts,
            adjust=adjust,
            create=create,
            statistics=statistics,
        )


def mark_removed(
    model: type[models.Model],
    *,
    connection: Connection,
    seen_external_ids: set[str],
    now: datetime,
    extra_updates: Mapping[str, Any] | None = None,
) -> int:
    """Set ``removed_at`` on stored records missing from a complete listing; returns how many.

    PagerDuty gives no "deleted" feed for users or services: they simply vanish from the list,
    so the rows are kept and marked with the time a sync first saw them gone.
    """
    present = set(
        model.objects.filter(connection_id=connection.pk, removed_at__isnull=True).values_list(
            "external_id", flat=True
        )
    )
    gone = sorted(present - seen_external_ids)
    for batch in chunks(gone, REMOVAL_BATCH_SIZE):
        model.objects.filter(
            connection_id=connection.pk, external_id__in=batch, removed_at__isnull=True
        ).update(removed_at=now, synced_at=now, **(extra_updates or {}))
    return len(gone)
