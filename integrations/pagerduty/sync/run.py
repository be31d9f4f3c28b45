"""Sync one PagerDuty connection into the data library, near the API's minimum cost.

Order: services, priorities, then (when due) licenses and allocations, users and last sign-in,
then incidents with their history. Every listing is streamed page by page and each page is
written in its own transaction, so memory stays flat in the number of incidents and a failure
keeps what was stored; watermarks only advance over what is stored, so the next run resumes.

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
* Users, licenses and sign-ins have no "changed since" filter: they are re-read in full when a
  person asks for a sync, on a full sync, and on schedule at most every
  ``PAGERDUTY_DIRECTORY_REFRESH_MINUTES`` (default 60) so an unchanged scheduled sync costs a
  handful of requests plus one per 100 open incidents.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Min, OuterRef, Q, Subquery
from django.utils import timezone

from integrations.hooks import enqueue_after_sync
from integrations.models import (
    OPEN_INCIDENT_STATUSES,
    Connection,
    ConnectionStatus,
    IncidentStatus,
    RemoteAccount,
    RemoteIncident,
    RemoteIncidentStatusChange,
    RemoteLicense,
    RemotePriority,
    RemoteService,
    SyncRun,
    SyncRunStatus,
    SyncTrigger,
)
from integrations.pagerduty.client import (
    PagerDutyClient,
    PagerDutyError,
    PagerDutyForbidden,
    PagerDutyNotFound,
    PagerDutyPaymentRequired,
    PagerDutyUnauthorized,
    parse_pagerduty_datetime,
)
from integrations.pagerduty.sync import mapping
from integrations.pagerduty.sync.lease import (
    SyncConnectionRevoked,
    SyncLease,
    SyncLeaseLost,
    sync_lease_acquire,
)
from integrations.pagerduty.sync.readahead import read_ahead
from integrations.pagerduty.sync.upsert import (
    BulkLoadStatistics,
    ResourceCounts,
    bulk_update_rows,
    chunks,
    mark_removed,
    upsert_records,
)
from integrations.services import connection_mark_status

logger = logging.getLogger(__name__)

# Re-read this much before each watermark: PagerDuty may record an incident or a log entry a
# little after the time it carries.
INCIDENT_OVERLAP = timedelta(minutes=10)
LOG_ENTRY_OVERLAP = timedelta(minutes=10)
DEFAULT_DIRECTORY_REFRESH_MINUTES = 60
MAX_CUSTOM_FIELD_READS_PER_RUN = 500
LOG_ENTRY_BATCH_SIZE = 100
SIGN_IN_BATCH_SIZE = 1000
OPEN_STATUS_FILTER = [str(status) for status in OPEN_INCIDENT_STATUSES]
# Query parameters shared with the benchmark's fetch-only baseline.
SERVICE_LIST_PARAMS: dict[str, Any] = {"include[]": ["integrations"]}
LOG_ENTRY_PARAMS: dict[str, Any] = {"is_overview": True, "include[]": ["channels"]}
LOG_ENTRY_INCREMENTAL_PARAMS: dict[str, Any] = {
    "is_overview": True,
    "include[]": ["channels", "incidents"],
}
UNEXPECTED_ERROR_MESSAGE = (
    "The sync stopped on an unexpected error in Sprintolike (it has been logged). The data "
    "synced so far is kept; the sync is retried on schedule."
)

RESOURCE_LABELS = {
    "services": "Services",
    "priorities": "Priorities",
    "licenses": "Licenses",
    "users": "Users",
    "sign_ins": "Last sign-in",
    "incidents": "Incidents",
    "custom_fields": "Incident custom fields",
}

RESOURCES = (
    "services",
    "priorities",
    "licenses",
    "license_allocations",
    "users",
    "sign_ins",
    "incidents",
    "status_changes",
    "custom_fields",
)


def backfill_start(now: datetime) -> datetime:
    """The oldest creation time a first (or full) sync reads: ``INCIDENT_BACKFILL_DAYS`` ago."""
    return now - timedelta(days=int(settings.INCIDENT_BACKFILL_DAYS))


def directory_refresh_interval() -> timedelta:
    minutes = getattr(
        settings, "PAGERDUTY_DIRECTORY_REFRESH_MINUTES", DEFAULT_DIRECTORY_REFRESH_MINUTES
    )
    return timedelta(minutes=int(minutes))


def directory_refresh_due(
    *, connection: Connection, trigger: str, full: bool, now: datetime
) -> bool:
    """Whether this run re-reads users, licenses and last sign-ins.

    Always when a person asked (Sync now, the command, the first sync after connecting) or on a
    full sync; on schedule when the last complete read is older than the refresh interval.
    """
    if full or trigger != SyncTrigger.SCHEDULE or connection.directory_synced_at is None:
        return True
    return now - connection.directory_synced_at >= directory_refresh_interval()


class _ConnectionSync:
    """The state of one run: the connection, the client, the counts and notes so far."""

    def __init__(
        self,
        *,
        connection: Connection,
        run: SyncRun,
        client: PagerDutyClient,
        lease: SyncLease,
        now: datetime,
        full: bool,
        refresh_directory: bool,
    ) -> None:
        self.connection = connection
        self.run = run
        self.client = client
        self.lease = lease
        self.now = now
        # PagerDuty's since/until are sent at whole seconds: read through the current second so
        # a change made just before the sync is not left for the next one.
        self.read_until = now + timedelta(seconds=1)
        self.full = full
        self.refresh_directory = refresh_directory
        self.counts: dict[str, ResourceCounts] = {}
        self.notes: list[str] = []
        self.missing_permissions: list[str] = []
        self.permission_notes: list[str] = []
        self.service_pks: dict[str, int] = {}
        self.priority_pks: dict[str, int] = {}
        self.phase = ""
        self.statistics = BulkLoadStatistics()

    # -- bookkeeping --------------------------------------------------------------------------

    def count(self, resource: str) -> ResourceCounts:
        return self.counts.setdefault(resource, ResourceCounts())

    def counts_as_dict(self) -> dict[str, dict[str, int]]:
        return {
            resource: self.counts[resource].as_dict()
            for resource in RESOURCES
            if resource in self.counts
        }

    def save_progress(self) -> None:
        """Show progress on the run row (one UPDATE per resource)."""
        SyncRun.objects.filter(pk=self.run.pk).update(
            counts=self.counts_as_dict(),
            request_count=self.client.request_count,
            requests_by_path=dict(self.client.requests_by_path),
            notes=list(self.notes),
        )

    def page_done(self) -> None:
        self.lease.renew_if_due()

    def update_connection(self, **fields: Any) -> None:
        Connection.objects.filter(pk=self.connection.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.connection, name, value)

    def resource(self, name: str, step: Callable[[], Any]) -> Any:
        """Run one step; a resource PagerDuty refuses is skipped with a note, not a failure."""
        self.phase = name
        try:
            return step()
        except PagerDutyForbidden as error:
            note = f"{RESOURCE_LABELS.get(name, name)} skipped: {error.message}"
            self.notes.append(note)
            self.permission_notes.append(note)
            self.missing_permissions.append(error.required_scope or name)
            return None
        except PagerDutyPaymentRequired as error:
            self.notes.append(f"{RESOURCE_LABELS.get(name, name)} skipped: {error.message}")
            return None
        finally:
            self.save_progress()

    # -- the run ------------------------------------------------------------------------------

    def execute(self) -> None:
        self.resource("services", self.sync_services)
        self.resource("priorities", self.sync_priorities)
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
        if self.refresh_directory:
            allocations = self.resource("licenses", self.sync_licenses)
            users_listed = self.resource("users", lambda: self.sync_users(allocations))
            if users_listed:
                self.resource("sign_ins", self.sync_last_sign_ins)
                self.update_connection(directory_synced_at=self.now)
        self.resource("incidents", self.sync_incidents)

    # -- services, priorities -----------------------------------------------------------------

    def sync_services(self) -> None:
        counts = self.count("services")
        seen: set[str] = set()
        created: list[str] = []
        for page in self.client.iter_pages(
            "/services", collection="services", params=SERVICE_LIST_PARAMS
        ):
            records = {
                mapping.required_id(service, "service"): mapping.service_fields(service)
                for service in page
            }
            with transaction.atomic():
                result = upsert_records(
                    RemoteService,
                    connection=self.connection,
                    records=records,
                    now=self.now,
                    counts=counts,
                )
            seen.update(records)
            created.extend(result.created)
            self.page_done()
        counts.removed += mark_removed(
            RemoteService, connection=self.connection, seen_external_ids=seen, now=self.now
        )
        if created:
            self._link_incidents_to_new_services(created)

    def _link_incidents_to_new_services(self, external_ids: list[str]) -> None:
        """Incidents stored before their service was (a service created since the last run)."""
        for external_id, pk in RemoteService.objects.filter(
            connection=self.connection, external_id__in=external_ids
        ).values_list("external_id", "pk"):
            RemoteIncident.objects.filter(
                connection=self.connection, service__isnull=True, service_external_id=external_id
            ).update(service_id=pk)

    def sync_priorities(self) -> None:
        counts = self.count("priorities")
        rank = 0
        for page in self.client.iter_pages("/priorities", collection="priorities"):
            records = {}
            for priority in page:
                records[mapping.required_id(priority, "priority")] = mapping.priority_fields(
                    priority, rank=rank
                )
                rank += 1
            with transaction.atomic():
                upsert_records(
                    RemotePriority,
                    connection=self.connection,
                    records=records,
                    now=self.now,
                    counts=counts,
                )
            self.page_done()

    # -- licenses, users, last sign-in --------------------------------------------------------

    def sync_licenses(self) -> dict[str, int]:
        """License tiers, then who holds which; returns user external id → license pk."""
        licenses = self.client.list_licenses()
        records = {
            mapping.required_id(license_tier, "license"): mapping.license_fields(license_tier)
            for license_tier in licenses
        }
        with transaction.atomic():
            upsert_records(
                RemoteLicense,
                connection=self.connection,
                records=records,
                now=self.now,
                counts=self.count("licenses"),
            )
        license_pks = dict(
            RemoteLicense.objects.filter(connection=self.connection).values_list(
                "external_id", "pk"
            )
        )
        allocation_counts = self.count("license_allocations")
        license_by_user: dict[str, int] = {}
        for allocation in self.client.iter_license_allocations():
            allocation_counts.seen += 1
            user_id = mapping.reference_id(allocation.get("user"))
            license_pk = license_pks.get(mapping.reference_id(allocation.get("license")))
            if user_id and license_pk:
                license_by_user[user_id] = license_pk
        return license_by_user

    def sync_users(self, license_by_user: Mapping[str, int] | None) -> bool:
        """Every user; users gone from the list are kept and marked removed (PAGERDUTY.md).

        ``license_by_user`` is None when licenses could not be read: licenses are then left as
        they are rather than cleared.
        """
        counts = self.count("users")
        seen: set[str] = set()
        for page in read_ahead(self.client.iter_pages("/users", collection="users")):
            records = {}
            for user in page:
                values = mapping.account_fields(user)
                external_id = mapping.required_id(user, "user")
                if license_by_user is not None:
                    values["license_id"] = license_by_user.get(external_id)
                records[external_id] = values
            with transaction.atomic():
                upsert_records(
                    RemoteAccount,
                    connection=self.connection,
                    records=records,
                    now=self.now,
                    counts=counts,
                )
            seen.update(records)
            self.page_done()
        counts.removed += mark_removed(
            RemoteAccount,
            connection=self.connection,
            seen_external_ids=seen,
            now=self.now,
            extra_updates={"license": None},
        )
        return True

    def sync_last_sign_ins(self) -> None:
        """``last_sign_in_at`` from ``POST /analytics/raw/users`` (the only API that has it).

        The analytics data lags up to a day, so a stored later time is never moved back.
        """
        counts = self.count("sign_ins")

        def keep_latest(row: Any, values: dict[str, Any]) -> None:
            values["last_sign_in_at"] = max(
                (moment for moment in (row.last_sign_in_at, values["last_sign_in_at"]) if moment),
                default=None,
            )

        for batch in read_ahead(chunks(self.client.iter_analytics_raw_users(), SIGN_IN_BATCH_SIZE)):
            records = {
                str(row.get("id") or row.get("user_id")): {
                    "last_sign_in_at": parse_pagerduty_datetime(row.get("last_sign_in_at"))
                }
                for row in batch
                if isinstance(row, Mapping) and (row.get("id") or row.get("user_id"))
            }
            with transaction.atomic():
                upsert_records(
                    RemoteAccount,
                    connection=self.connection,
                    records=records,
                    now=self.now,
                    counts=counts,
                    adjust=keep_latest,
                    create=False,
                )
            self.page_done()

    # -- incidents ----------------------------------------------------------------------------

    def sync_incidents(self) -> None:
        connection = self.connection
        start = backfill_start(self.now)
        if self.full or connection.incidents_synced_through is None:
            listing_since = start
        else:
            listing_since = connection.incidents_synced_through - INCIDENT_OVERLAP
        self.count("incidents")
        self.count("status_changes")

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
        self.update_connection(log_entries_synced_through=self.now)
        self.save_progress()

        self._fetch_unexplained_incidents(unexplained)
        if not self.full:
            self.resource("custom_fields", self.sync_custom_fields)

    def _upsert_incidents(
        self, incidents: Iterable[Mapping[str, Any]], *, create: bool = True
    ) -> list[str]:
        """Store one page of incidents; returns their external ids.

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
                    values["details_pending"] = True
                return
            values["acknowledged_at"] = mapping.earliest(
                row.acknowledged_at, values["acknowledged_at"]
            )
            if flag_changes and row.status != values["status"]:
                values["details_pending"] = True

        upsert_records(
            RemoteIncident,
            connection=self.connection,
            records=records,
            now=self.now,
            counts=self.count("incidents"),
            adjust=merge,
            create=create,
            statistics=self.statistics,
        )
        return list(records)

    def _list_incidents_created(self, *, since: datetime) -> None:
        """Incidents created in [since, now), oldest first; the watermark follows each page."""
        through = self.connection.incidents_synced_through
        for page in read_ahead(self.client.iter_incident_pages(since=since, until=self.read_until)):
            with transaction.atomic():
                self._upsert_incidents(page)
                newest = max(
                    parse_pagerduty_datetime(incident.get("created_at")) for incident in page
                )
                if through is None or newest > through:
                    through = newest
                    self.update_connection(incidents_synced_through=through)
            self.page_done()
        if through is None or through < self.now:
            self.update_connection(incidents_synced_through=self.now)

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
            with transaction.atomic():
                open_ids.difference_update(self._upsert_incidents(page))
            self.page_done()
        return open_ids

    def _read_log_entries(
        self, *, since: datetime, embedded_incidents: bool, unexplained: set[str]
    ) -> None:
        """Status history and notes from account-wide ``GET /log_entries`` over [since, now)."""
        params = LOG_ENTRY_INCREMENTAL_PARAMS if embedded_incidents else LOG_ENTRY_PARAMS
        entries = self.client.iter_log_entries(since=since, until=self.read_until, params=params)
        for batch in read_ahead(chunks(entries, LOG_ENTRY_BATCH_SIZE)):
            with transaction.atomic():
                self._store_log_entries(
                    batch, embedded_incidents=embedded_incidents, unexplained=unexplained
                )
            self.page_done()

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
                refreshed = self._upsert_incidents(embedded.values(), create=False)
                unexplained.difference_update(refreshed)
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
            counts=self.count("status_changes"),
            statistics=self.statistics,
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
            self.page_done()

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
            with transaction.atomic():
                self._upsert_incidents([incident], create=False)
            self.page_done()
        if missing:
            self.notes.append(
                f"{missing} incident(s) open here were not found in PagerDuty; they are kept as "
                "they were last seen."
            )

    def sync_custom_fields(self) -> None:
        """Custom field values of incidents whose status changed (one request each)."""
        counts = self.count("custom_fields")
        pending = list(
            RemoteIncident.objects.filter(connection=self.connection, details_pending=True)
            .order_by("-last_status_change_at", "pk")
            .only("pk", "external_id", "custom_fields", "data_loss_field")[
                : MAX_CUSTOM_FIELD_READS_PER_RUN + 1
            ]
        )
        if len(pending) > MAX_CUSTOM_FIELD_READS_PER_RUN:
            pending = pending[:MAX_CUSTOM_FIELD_READS_PER_RUN]
            self.notes.append(
                f"Custom fields read for the {MAX_CUSTOM_FIELD_READS_PER_RUN} most recent status "
                "changes; the others are read in the next syncs."
            )
        for batch in chunks(pending, 100):
            for incident in batch:
                try:
                    values = self.client.list_incident_custom_field_values(incident.external_id)
                except PagerDutyNotFound:
                    values = []
                raw, data_loss = mapping.custom_field_values(values)
                counts.seen += 1
                if (raw, data_loss) != (incident.custom_fields, incident.data_loss_field):
                    counts.updated += 1
                incident.custom_fields = raw
                incident.data_loss_field = data_loss
                incident.details_synced_at = self.now
                incident.details_pending = False
            with transaction.atomic():
                bulk_update_rows(
                    RemoteIncident,
                    batch,
                    ["custom_fields", "data_loss_field", "details_synced_at", "details_pending"],
                )
            self.page_done()


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _phase_label(phase: str) -> str:
    return RESOURCE_LABELS.get(phase, phase).lower() if phase else "the connection"


def sync_connection(
    *,
    connection: Connection,
    trigger: str,
    full: bool = False,
    client: PagerDutyClient | None = None,
    now: datetime | None = None,
) -> SyncRun:
    """Sync one connection and return its ``SyncRun`` (succeeded or failed).

    Raises ``SyncAlreadyRunning`` when another sync of the connection holds the lease and
    ``SyncConnectionRevoked`` for a revoked connection; every PagerDuty failure is recorded on
    the run and the connection instead: a refused credential marks it "needs
    re-authorization", a missing scope "missing permissions", anything else "error" with the
    message to act on. Data stored before a failure is kept.
    """
    if connection.status == ConnectionStatus.REVOKED:
        raise SyncConnectionRevoked()
    lease = sync_lease_acquire(connection=connection)
    connection.refresh_from_db()
    now = now or timezone.now()
    full = full or connection.incidents_synced_through is None
    run = SyncRun.objects.create(
        organization_id=connection.organization_id,
        connection=connection,
        trigger=trigger,
        full=full,
        started_at=now,
    )
    sync: _ConnectionSync | None = None
    status = SyncRunStatus.FAILED
    error_message = ""
    try:
        if client is None:
            from integrations.pagerduty.connect import client_for_connection

            client = client_for_connection(connection)
        sync = _ConnectionSync(
            connection=connection,
            run=run,
            client=client,
            lease=lease,
            now=now,
            full=full,
            refresh_directory=directory_refresh_due(
                connection=connection, trigger=trigger, full=full, now=now
            ),
        )
        sync.execute()
        status = SyncRunStatus.SUCCEEDED
    except PagerDutyUnauthorized as error:
        error_message = error.message
        connection_mark_status(
            connection=connection,
            status=ConnectionStatus.NEEDS_REAUTHORIZATION,
            error_message=error.message,
        )
    except PagerDutyError as error:
        phase = _phase_label(sync.phase if sync else "")
        error_message = f"Syncing {phase} failed: {error.message}"
        connection_mark_status(
            connection=connection, status=ConnectionStatus.ERROR, error_message=error_message
        )
    except SyncLeaseLost as error:
        error_message = str(error)
    except Exception:
        logger.exception("Sync of connection %s failed", connection.pk)
        error_message = UNEXPECTED_ERROR_MESSAGE
        connection_mark_status(
            connection=connection, status=ConnectionStatus.ERROR, error_message=error_message
        )
    finally:
        finished_at = timezone.now()
        if status == SyncRunStatus.SUCCEEDED and sync is not None:
            _mark_connection_synced(connection, sync, finished_at)
        run.status = status
        run.finished_at = max(finished_at, run.started_at)
        run.error_message = error_message
        if sync is not None:
            run.counts = sync.counts_as_dict()
            run.notes = list(sync.notes)
        if client is not None:
            run.request_count = client.request_count
            run.requests_by_path = dict(client.requests_by_path)
        run.save()
        lease.release()
        connection.sync_lease_expires_at = None
        _enqueue_after_sync(run)
    return run


def _mark_connection_synced(
    connection: Connection, sync: _ConnectionSync, finished_at: datetime
) -> None:
    """A successful run clears the last error, unless PagerDuty refused some permissions."""
    fields: dict[str, Any] = {"last_synced_at": finished_at, "updated_at": finished_at}
    if sync.missing_permissions:
        fields.update(
            status=ConnectionStatus.MISSING_SCOPES,
            last_error=" ".join(sync.permission_notes),
            last_error_at=finished_at,
        )
    else:
        fields.update(status=ConnectionStatus.CONNECTED, last_error="", last_error_at=None)
    Connection.objects.filter(pk=connection.pk).exclude(
        status__in=[ConnectionStatus.REVOKED]
    ).update(**fields)
    connection.refresh_from_db()


def _enqueue_after_sync(run: SyncRun) -> None:
    """Let checks and spend react to the new data; a broker outage never fails the sync."""
    try:
        enqueue_after_sync(organization_id=run.organization_id, sync_run_id=run.pk)
    except Exception:
        logger.exception("Could not enqueue the after-sync tasks of sync run %s", run.pk)
