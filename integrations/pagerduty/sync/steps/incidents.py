"""Steps that read incidents with their history (log entries, notes) and custom fields.

How incidents stay current without a request per incident (PAGERDUTY.md, "Traps"):

* ``GET /incidents`` filters ``since``/``until`` on *creation*: a full sync reads the backfill
  window, an incremental one reads what was created since ``incidents_synced_through`` (minus an
  overlap).
* Incidents still open locally but created earlier are re-read by listing PagerDuty's open
  incidents (``statuses[]=triggered&statuses[]=acknowledged``) over their creation range;
  locally-open incidents missing from that list have been resolved.
* Account-wide ``GET /log_entries`` (``is_overview=true``, ``include[]=channels``) read over the
  same time range gives every status change and note, hence the status history, the first
  acknowledgement and the resolution note. Incremental reads add ``include[]=incidents``, so
  the resolve entries carry the resolved incidents' current state too. Only a locally-open
  incident that neither list explains is fetched on its own.
* Custom fields cost one request per incident, so they are read only for incidents whose status
  changed in an incremental sync (never in a backfill), at most ``MAX_CUSTOM_FIELD_READS_PER_RUN``
  per run; the rest stay pending for the next run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery

from integrations.models import (
    OPEN_INCIDENT_STATUSES,
    IncidentStatus,
    RemoteIncident,
    RemoteIncidentStatusChange,
    RemotePriority,
    RemoteService,
)
from integrations.pagerduty.datetimes import parse_pagerduty_datetime
from integrations.pagerduty.errors import PagerDutyNotFound
from integrations.pagerduty.sync import mapping
from integrations.pagerduty.sync.context import SyncContext
from integrations.pagerduty.sync.readahead import read_ahead
from integrations.pagerduty.sync.upsert import upsert_page, upsert_records
from sprintolike.bulk import bulk_update_rows, chunks

# Re-read this much before each watermark: PagerDuty may record an incident or a log entry a
# little after the time it carries.
INCIDENT_OVERLAP = timedelta(minutes=10)
LOG_ENTRY_OVERLAP = timedelta(minutes=10)
MAX_CUSTOM_FIELD_READS_PER_RUN = 500
LOG_ENTRY_BATCH_SIZE = 100
OPEN_STATUS_FILTER = [str(status) for status in OPEN_INCIDENT_STATUSES]
# Query parameters shared with the benchmark's fetch-only baseline.
LOG_ENTRY_PARAMS: dict[str, Any] = {"is_overview": True, "include[]": ["channels"]}
LOG_ENTRY_INCREMENTAL_PARAMS: dict[str, Any] = {
    "is_overview": True,
    "include[]": ["channels", "incidents"],
}


def backfill_start(now: datetime) -> datetime:
    """The oldest creation time a first (or full) sync reads: ``INCIDENT_BACKFILL_DAYS`` ago."""
    return now - timedelta(days=int(settings.INCIDENT_BACKFILL_DAYS))


class IncidentsStep:
    """Incidents created since the watermark, open ones re-read, and their history."""

    name = "incidents"
    label = "Incidents"

    def due(self, sync: SyncContext) -> bool:
        return True

    def run(self, sync: SyncContext) -> None:
        IncidentsRead(sync).run()


class CustomFieldsStep:
    """Custom field values of incidents whose status changed (one request each).

    Incremental syncs only, after the incidents were read.
    """

    name = "custom_fields"
    label = "Incident custom fields"

    def due(self, sync: SyncContext) -> bool:
        return not sync.full and IncidentsStep.name in sync.completed_steps

    def run(self, sync: SyncContext) -> None:
        counts = sync.count(self.name)
        pending = list(
            RemoteIncident.objects.filter(connection=sync.connection, custom_fields_pending=True)
            .order_by("-last_status_change_at", "pk")
            .only("pk", "external_id", "custom_fields", "data_loss_field", "synced_at")[
                : MAX_CUSTOM_FIELD_READS_PER_RUN + 1
            ]
        )
        if len(pending) > MAX_CUSTOM_FIELD_READS_PER_RUN:
            pending = pending[:MAX_CUSTOM_FIELD_READS_PER_RUN]
            sync.notes.append(
                f"Custom fields read for the {MAX_CUSTOM_FIELD_READS_PER_RUN} most recent status "
                "changes; the others are read in the next syncs."
            )

        def read_values(incident: RemoteIncident) -> list[dict[str, Any]]:
            try:
                return sync.client.list_incident_custom_field_values(incident.external_id)
            except PagerDutyNotFound:
                return []

        for batch in chunks(pending, 100):
            for incident, values in zip(
                batch, sync.client.map_in_order(read_values, batch), strict=True
            ):
                raw, data_loss = mapping.custom_field_values(values)
                counts.seen += 1
                if (raw, data_loss) != (incident.custom_fields, incident.data_loss_field):
                    counts.updated += 1
                    incident.synced_at = sync.now
                incident.custom_fields = raw
                incident.data_loss_field = data_loss
                incident.custom_fields_synced_at = sync.now
                incident.custom_fields_pending = False
            with transaction.atomic():
                bulk_update_rows(
                    RemoteIncident,
                    batch,
                    [
                        "custom_fields",
                        "data_loss_field",
                        "custom_fields_synced_at",
                        "custom_fields_pending",
                        "synced_at",
                    ],
                )
            sync.page_done()


class IncidentsRead:
    """One run's read of incidents: its parts share the service/priority lookups."""

    def __init__(self, sync: SyncContext) -> None:
        self.sync = sync
        self.connection = sync.connection
        self.client = sync.client
        self.now = sync.now
        self.full = sync.full
        self.service_pks = dict(
            RemoteService.objects.filter(connection=self.connection).values_list(
                "external_id", "pk"
            )
        )
        self.priority_pks = dict(
            RemotePriority.objects.filter(connection=self.connection).values_list(
                "external_id", "pk"
            )
        )

    def run(self) -> None:
        sync = self.sync
        connection = self.connection
        start = backfill_start(self.now)
        if self.full or connection.incidents_synced_through is None:
            listing_since = start
        else:
            listing_since = connection.incidents_synced_through - INCIDENT_OVERLAP
        sync.count("incidents")
        sync.count("status_changes")

        self._list_incidents_created(since=listing_since)
        unexplained = self._refresh_open_incidents(created_before=listing_since)

        incremental_log = not self.full and connection.log_entries_synced_through is not None
        log_since = (
            connection.log_entries_synced_through - LOG_ENTRY_OVERLAP if incremental_log else start
        )
        self._read_log_entries(
            since=log_since, embedded_incidents=incremental_log, unexplained=unexplained
        )
        self._derive_from_history(since=log_since)
        sync.update_connection(log_entries_synced_through=self.now)
        sync.save_progress()

        self._fetch_unexplained_incidents(unexplained)

    def _incident_page(
        self, incidents: Iterable[Mapping[str, Any]], *, create: bool = True
    ) -> dict[str, Any]:
        """The ``upsert_records`` arguments for one page of incidents.

        In an incremental sync, an incident whose status changed (or a new one already
        resolved) is marked for a custom-field read.
        """
        flag_changes = not self.full
        # A new incident already resolved changed status since the last successful sync; one
        # not yet stored because an earlier backfill stopped did not.
        last_synced_at = self.connection.last_synced_at
        new_since = last_synced_at - INCIDENT_OVERLAP if last_synced_at else None
        records = {
            mapping.required_id(incident, "incident"): mapping.incident_fields(
                incident, service_pks=self.service_pks, priority_pks=self.priority_pks
            )
            for incident in incidents
        }

        def merge(row: RemoteIncident | None, values: dict[str, Any]) -> None:
            if row is None:
                if (
                    flag_changes
                    and new_since is not None
                    and values["status"] == IncidentStatus.RESOLVED
                    and values["created_at_remote"] >= new_since
                ):
                    values["custom_fields_pending"] = True
                return
            values["acknowledged_at"] = mapping.earliest(
                row.acknowledged_at, values["acknowledged_at"]
            )
            if flag_changes and row.status != values["status"]:
                values["custom_fields_pending"] = True

        return {
            "connection": self.connection,
            "records": records,
            "now": self.now,
            "counts": self.sync.count("incidents"),
            "adjust": merge,
            "create": create,
            "statistics": self.sync.statistics,
        }

    def _list_incidents_created(self, *, since: datetime) -> None:
        """Incidents created in [since, now), oldest first; the watermark follows each page."""
        through = self.connection.incidents_synced_through
        pages = self.client.iter_incident_pages(since=since, until=self.sync.read_until)
        for page in read_ahead(pages):
            with transaction.atomic():
                upsert_records(RemoteIncident, **self._incident_page(page))
                newest = max(
                    parse_pagerduty_datetime(incident.get("created_at")) for incident in page
                )
                if through is None or newest > through:
                    through = newest
                    self.sync.update_connection(incidents_synced_through=through)
            self.sync.page_done()
        if through is None or through < self.now:
            self.sync.update_connection(incidents_synced_through=self.now)

    def _refresh_open_incidents(self, *, created_before: datetime) -> set[str]:
        """Re-read the incidents still open locally that were created before ``created_before``.

        One listing of PagerDuty's open incidents over their creation range (windowed by the
        client) brings acknowledged ones up to date; returns the ids that are open locally but
        no longer open in PagerDuty (resolved since the last sync).
        """
        locally_open = RemoteIncident.objects.filter(
            connection=self.connection,
            status__in=OPEN_INCIDENT_STATUSES,
            created_at_remote__lt=created_before,
        )
        oldest = locally_open.aggregate(oldest=Min("created_at_remote"))["oldest"]
        if oldest is None:
            return set()
        open_ids = set(locally_open.values_list("external_id", flat=True))
        pages = self.client.iter_incident_pages(
            since=oldest, until=created_before, params={"statuses[]": OPEN_STATUS_FILTER}
        )
        for page in read_ahead(pages):
            arguments = self._incident_page(page)
            upsert_page(RemoteIncident, **arguments)
            open_ids.difference_update(arguments["records"])
            self.sync.page_done()
        return open_ids

    def _read_log_entries(
        self, *, since: datetime, embedded_incidents: bool, unexplained: set[str]
    ) -> None:
        """Status history and notes from account-wide ``GET /log_entries`` over [since, now)."""
        params = LOG_ENTRY_INCREMENTAL_PARAMS if embedded_incidents else LOG_ENTRY_PARAMS
        entries = self.client.iter_log_entries(
            since=since, until=self.sync.read_until, params=params
        )
        for batch in read_ahead(chunks(entries, LOG_ENTRY_BATCH_SIZE)):
            with transaction.atomic():
                self._store_log_entries(
                    batch, embedded_incidents=embedded_incidents, unexplained=unexplained
                )
            self.sync.page_done()

    def _store_log_entries(
        self, entries: list[dict[str, Any]], *, embedded_incidents: bool, unexplained: set[str]
    ) -> None:
        if embedded_incidents:
            embedded = {
                entry["incident"]["id"]: entry["incident"]
                for entry in entries
                if isinstance(entry.get("incident"), Mapping)
                and entry["incident"].get("type") == "incident"
                and entry["incident"].get("created_at")
            }
            if embedded:
                arguments = self._incident_page(embedded.values(), create=False)
                upsert_records(RemoteIncident, **arguments)
                unexplained.difference_update(arguments["records"])
        incident_ids = {mapping.log_entry_incident_id(entry) for entry in entries} - {""}
        incident_pks = dict(
            RemoteIncident.objects.filter(
                connection=self.connection, external_id__in=incident_ids
            ).values_list("external_id", "pk")
        )
        records = {}
        for entry in entries:
            incident_pk = incident_pks.get(mapping.log_entry_incident_id(entry))
            if incident_pk is None:
                continue  # created before the backfill window: not in the data library
            values = mapping.status_change_fields(entry)
            values["incident_id"] = incident_pk
            records[mapping.required_id(entry, "log entry")] = values
        upsert_records(
            RemoteIncidentStatusChange,
            connection=self.connection,
            records=records,
            now=self.now,
            counts=self.sync.count("status_changes"),
            statistics=self.sync.statistics,
        )

    def _derive_from_history(self, *, since: datetime) -> None:
        """First acknowledgement and resolution note of incidents whose history changed.

        Runs once after the log entries of [since, now) are stored (so entries of one incident
        spread over many pages are all there), for the incidents with such entries only: one
        UPDATE for the first acknowledgement, and one streamed query over the notes and resolves
        of incidents that have notes. The log watermark advances only after this, so a run that
        stops before it is redone by the next one.
        """
        changes = RemoteIncidentStatusChange.objects.filter(connection=self.connection)
        first_acknowledgement = Subquery(
            changes.filter(incident_id=OuterRef("pk"), kind=mapping.ACKNOWLEDGE_KIND)
            .order_by("at")
            .values("at")[:1]
        )
        with transaction.atomic():
            RemoteIncident.objects.filter(
                connection=self.connection,
                pk__in=changes.filter(kind=mapping.ACKNOWLEDGE_KIND, at__gte=since).values(
                    "incident_id"
                ),
            ).filter(
                Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gt=first_acknowledgement)
            ).update(acknowledged_at=first_acknowledgement, synced_at=self.now)

        note_kinds = (mapping.NOTE_KIND, mapping.RESOLVE_KIND)
        history = (
            changes.filter(kind__in=note_kinds)
            .filter(incident_id__in=changes.filter(kind=mapping.NOTE_KIND).values("incident_id"))
            .filter(
                incident_id__in=changes.filter(kind__in=note_kinds, at__gte=since).values(
                    "incident_id"
                )
            )
            .order_by("incident_id", "at", "pk")
            .values_list("incident_id", "kind", "at", "summary")
        )
        notes = (
            (incident_id, mapping.resolution_note((kind, at, text) for _, kind, at, text in steps))
            for incident_id, steps in groupby(history.iterator(chunk_size=2000), key=itemgetter(0))
        )
        for batch in chunks(notes, 500):
            with transaction.atomic():
                self._store_resolution_notes(dict(batch))
            self.sync.page_done()

    def _store_resolution_notes(self, notes: dict[int, str | None]) -> None:
        changed = []
        for incident in RemoteIncident.objects.filter(pk__in=list(notes)).only(
            "pk", "resolution_note"
        ):
            note = notes[incident.pk]
            if note is not None and note != incident.resolution_note:
                incident.resolution_note = note
                incident.synced_at = self.now
                changed.append(incident)
        bulk_update_rows(RemoteIncident, changed, ["resolution_note", "synced_at"])

    def _fetch_unexplained_incidents(self, external_ids: set[str]) -> None:
        """Open locally, absent from PagerDuty's open list and from the log: read each one."""
        missing = 0
        for external_id in sorted(external_ids):
            try:
                incident = self.client.get_incident(external_id)
            except PagerDutyNotFound:
                missing += 1
                continue
            upsert_page(RemoteIncident, **self._incident_page([incident], create=False))
            self.sync.page_done()
        if missing:
            self.sync.notes.append(
                f"{missing} incident(s) open here were not found in PagerDuty; they are kept as "
                "they were last seen."
            )
