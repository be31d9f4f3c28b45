"""Incident log entries: derived from each incident on demand, never stored as objects.

An incident's entries (trigger, assign, notify, acknowledge, annotate, resolve) follow from its
fields, so 100,000 incidents need no half a million stored records. Ids encode the incident and
the entry's sequence number, so `GET /log_entries/{id}` needs no table either. The account-wide
`GET /log_entries` is served from a packed time index built on first use.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Sequence
from typing import Any

from pagerduty_standin.account.formats import from_base36, to_base36
from pagerduty_standin.account.records import (
    LOG_KIND_ACKNOWLEDGE,
    LOG_KIND_ANNOTATE,
    LOG_KIND_ASSIGN,
    LOG_KIND_CODES,
    LOG_KIND_NOTIFY,
    LOG_KIND_RESOLVE,
    LOG_KIND_TRIGGER,
    OVERVIEW_LOG_KIND_CODES,
    Incident,
    LogEntryRecord,
    NotFoundError,
)

# Room for this many entries per incident in a packed (incident, sequence) key.
LOG_ENTRY_SEQUENCE_SLOTS = 1024


def incident_log_entries(incident: Incident) -> list[LogEntryRecord]:
    """Every log entry of one incident, in sequence order (stable across later changes).

    The entries derived at generation time come first; entries added by control actions
    (`extra_log_entries`) only append, so sequence numbers and ids never shift.
    """
    created_at = incident.created_at
    actor = incident.assignee_index
    records = [
        LogEntryRecord(LOG_KIND_TRIGGER, created_at, -1, incident.trigger_channel),
        LogEntryRecord(LOG_KIND_ASSIGN, created_at, -1, actor),
    ]
    for offset, notification_type in enumerate(incident.notification_types):
        records.append(
            LogEntryRecord(
                LOG_KIND_NOTIFY, created_at + 5 + 60 * offset, -1, (actor, notification_type)
            )
        )
    if incident.acknowledged_at is not None and (
        incident.extra_log_entries is None
        or all(extra.kind != LOG_KIND_ACKNOWLEDGE for extra in incident.extra_log_entries)
    ):
        records.append(
            LogEntryRecord(
                LOG_KIND_ACKNOWLEDGE, incident.acknowledged_at, incident.acknowledger_index, None
            )
        )
    for note in (incident.notes or ())[: incident.generated_note_count]:
        records.append(LogEntryRecord(LOG_KIND_ANNOTATE, note.created_at, note.user_index, note))
    if incident.generated_resolve:
        records.append(
            LogEntryRecord(LOG_KIND_RESOLVE, incident.resolved_at, incident.resolver_index, None)
        )
    records.extend(incident.extra_log_entries or ())
    for sequence, record in enumerate(records):
        record.sequence = sequence
    return records


def encode_log_entry_id(incident_index: int, sequence: int, salt: str) -> str:
    """A 14-character id that encodes the incident and the entry, so lookups need no table."""
    return "R" + to_base36(incident_index, 5) + to_base36(sequence, 2) + salt + "LE"


def decode_log_entry_id(log_entry_id: str, salt: str) -> tuple[int, int]:
    """(incident index, sequence) of an id made by `encode_log_entry_id`, else NotFoundError."""
    if len(log_entry_id) != 14 or not log_entry_id.startswith("R") or log_entry_id[8:12] != salt:
        raise NotFoundError(log_entry_id)
    try:
        return from_base36(log_entry_id[1:6]), from_base36(log_entry_id[6:8])
    except ValueError as error:
        raise NotFoundError(log_entry_id) from error


class LogEntryIndex:
    """Every log entry of the account in time order, packed in three parallel arrays.

    Built once, on the first account-wide query; after that, new entries are inserted in place.
    """

    def __init__(self) -> None:
        self.times: array | None = None
        self.keys: array | None = None
        self.kinds: array | None = None

    @property
    def built(self) -> bool:
        return self.times is not None

    def build(self, incidents: Iterable[Incident]) -> None:
        entries = []
        for incident in incidents:
            base = incident.index * LOG_ENTRY_SEQUENCE_SLOTS
            for record in incident_log_entries(incident):
                entries.append((record.at, base + record.sequence, LOG_KIND_CODES[record.kind]))
        entries.sort()
        self.times = array("q", [entry[0] for entry in entries])
        self.keys = array("q", [entry[1] for entry in entries])
        self.kinds = array("b", [entry[2] for entry in entries])

    def insert(self, record: LogEntryRecord, incident_index: int) -> None:
        """Add one entry (a no-op until the index is built: building will include it)."""
        if not self.built:
            return
        position = bisect.bisect_right(self.times, record.at)
        self.times.insert(position, record.at)
        self.keys.insert(position, incident_index * LOG_ENTRY_SEQUENCE_SLOTS + record.sequence)
        self.kinds.insert(position, LOG_KIND_CODES[record.kind])

    def query(
        self, *, since: int | None, until: int | None, overview_only: bool
    ) -> Sequence[tuple[int, int]]:
        """(incident index, sequence) pairs of entries in [since, until), newest first."""
        times = self.times
        low = 0 if since is None else bisect.bisect_left(times, since)
        high = max(low, len(times) if until is None else bisect.bisect_left(times, until))
        if not overview_only:
            return _LogKeyView(self.keys, low, high)
        return [
            divmod(self.keys[position], LOG_ENTRY_SEQUENCE_SLOTS)
            for position in range(high - 1, low - 1, -1)
            if self.kinds[position] in OVERVIEW_LOG_KIND_CODES
        ]


class _LogKeyView(Sequence):
    """A newest-first view over a slice of the packed log index, decoded on access."""

    def __init__(self, keys: array, low: int, high: int) -> None:
        self.keys = keys
        self.low = low
        self.high = high

    def __len__(self) -> int:
        return self.high - self.low

    def __getitem__(self, position: int | slice) -> Any:
        if isinstance(position, slice):
            return [self[item] for item in range(*position.indices(len(self)))]
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        key = self.keys[self.high - 1 - position]
        return divmod(key, LOG_ENTRY_SEQUENCE_SLOTS)
