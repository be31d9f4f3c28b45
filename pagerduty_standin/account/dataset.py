"""The whole stand-in account in memory, and the indexes that keep each request cheap.

Incidents are kept in creation order with a parallel array of creation times, so a
`since`/`until` window is two bisections; log entries are derived on demand (`log_entries`),
which keeps 100,000 incidents (and their half a million log entries) within a few tens of
megabytes. `generate.generate_dataset` builds one; `changes` modifies one.
"""

from __future__ import annotations

import bisect
import random
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pagerduty_standin.account.formats import IdFactory, format_timestamp, to_base36
from pagerduty_standin.account.log_entries import (
    LogEntryIndex,
    decode_log_entry_id,
    encode_log_entry_id,
    incident_log_entries,
)
from pagerduty_standin.account.notifications import (
    LATEST_NOTIFICATION_DELAY_SECONDS,
    NotificationRecord,
    notifications_in_window,
)
from pagerduty_standin.account.records import (
    ACKNOWLEDGED,
    ALL_STATUSES,
    OPEN_STATUSES,
    RESOLVED,
    TRIGGERED,
    CustomField,
    Incident,
    License,
    LogEntryRecord,
    NotFoundError,
    Priority,
    Service,
    Team,
    User,
)
from pagerduty_standin.account.vocabulary import INCIDENT_TITLES

QUERY_CACHE_SIZE = 64


@dataclass
class IncidentQuery:
    """The filters of `GET /incidents`, already validated and resolved to epoch seconds."""

    since: int | None = None
    until: int | None = None
    statuses: frozenset[str] | None = None
    service_ids: frozenset[str] | None = None
    team_ids: frozenset[str] | None = None
    urgencies: frozenset[str] | None = None
    incident_key: str | None = None
    descending: bool = False

    def cache_key(self) -> tuple[Any, ...]:
        return (
            self.since,
            self.until,
            self.statuses,
            self.service_ids,
            self.team_ids,
            self.urgencies,
            self.incident_key,
            self.descending,
        )


@dataclass
class Dataset:
    """The account: teams, services, priorities, users, licenses, custom fields, incidents.

    All reads and writes go through `lock`; every write calls `mark_changed()`, which bumps
    `version` and empties the small cache of filtered queries.
    """

    ids: IdFactory
    seed: int
    now: int
    subdomain: str
    account_id: str
    teams: list[Team]
    services: list[Service]
    priorities: list[Priority]
    users: list[User]
    licenses: list[License]
    custom_fields: list[CustomField]
    incidents: list[Incident] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    version: int = 0
    clock: Callable[[], float] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.created_times = array("q")
        self.open_incident_indices: list[int] = []
        self.incident_indices_by_service: list[list[int]] = [[] for _ in self.services]
        self.incident_by_id: dict[str, Incident] = {}
        self.service_by_id = {service.id: service for service in self.services}
        self.user_by_id = {user.id: user for user in self.users}
        self.user_by_email = {user.email.lower(): user for user in self.users}
        self.users_sorted_by_name = sorted(
            self.users, key=lambda user: (user.name.lower(), user.id)
        )
        self.services_sorted_by_name = sorted(
            self.services, key=lambda service: service.name.lower()
        )
        self.log_entry_salt = to_base36(random.Random(f"{self.seed}:log-salt").randrange(36**4), 4)
        self.log_index = LogEntryIndex()
        self._incident_key_index: dict[str, int] | None = None
        self._query_cache: OrderedDict[tuple[Any, ...], Sequence[Any]] = OrderedDict()

    def current_time(self) -> int:
        """The data clock: the server's clock when attached, else the generation `now`."""
        return int(self.clock()) if self.clock else self.now

    def mark_changed(self) -> None:
        """Every write ends here: cached query results no longer hold."""
        self.version += 1
        self._query_cache.clear()

    def _cached(
        self, cache_key: tuple[Any, ...], compute: Callable[[], Sequence[Any]]
    ) -> Sequence[Any]:
        """A small LRU of query results, so paging through one with `offset` costs a slice."""
        cache_key = (self.version, *cache_key)
        cached = self._query_cache.get(cache_key)
        if cached is not None:
            self._query_cache.move_to_end(cache_key)
            return cached
        result = self._query_cache[cache_key] = compute()
        while len(self._query_cache) > QUERY_CACHE_SIZE:
            self._query_cache.popitem(last=False)
        return result

    # -- incidents ---------------------------------------------------------------------------

    def append_incident(self, incident: Incident) -> None:
        """Add an incident at the end of creation order and update every index."""
        if self.created_times and incident.created_at < self.created_times[-1]:
            incident.created_at = self.created_times[-1]
        incident.index = len(self.incidents)
        incident.number = incident.index + 1
        if incident.id is None:
            incident.id = self.ids.next_id()
        incident.updated_at = max(
            incident.created_at,
            incident.acknowledged_at or 0,
            incident.resolved_at or 0,
            max((note.created_at for note in incident.notes or ()), default=0),
        )
        self.incidents.append(incident)
        self.created_times.append(incident.created_at)
        self.incident_by_id[incident.id] = incident
        self.incident_indices_by_service[incident.service_index].append(incident.index)
        service = self.services[incident.service_index]
        service.last_incident_at = incident.created_at
        if incident.status in OPEN_STATUSES:
            self.open_incident_indices.append(incident.index)
            if incident.status == TRIGGERED:
                service.triggered_count += 1
            else:
                service.acknowledged_count += 1
        if self._incident_key_index is not None:
            self._incident_key_index[self.incident_key_text(incident)] = incident.index
        if self.log_index.built:
            for record in incident_log_entries(incident):
                self.log_index.insert(record, incident.index)

    def get_incident(self, incident_id: str) -> Incident:
        incident = self.incident_by_id.get(incident_id)
        if incident is None:
            raise NotFoundError(incident_id)
        return incident

    def incident_by_id_or_number(self, identifier: str) -> Incident:
        """PagerDuty accepts an incident id or its number in the URL."""
        if identifier.isdigit():
            number = int(identifier)
            if 1 <= number <= len(self.incidents):
                return self.incidents[number - 1]
            raise NotFoundError(identifier)
        return self.get_incident(identifier)

    def incident_key_text(self, incident: Incident) -> str:
        return f"{incident.incident_key:032x}"

    def incident_title(self, incident: Incident) -> str:
        return INCIDENT_TITLES[incident.title_index].format(
            service=self.services[incident.service_index].name
        )

    def window_bounds(self, since: int | None, until: int | None) -> tuple[int, int]:
        """Index range of incidents created in [since, until) - two bisections."""
        low = 0 if since is None else bisect.bisect_left(self.created_times, since)
        high = (
            len(self.incidents) if until is None else bisect.bisect_left(self.created_times, until)
        )
        return low, max(low, high)

    def service_indices(
        self, service_ids: Iterable[str] | None, team_ids: Iterable[str] | None
    ) -> set[int] | None:
        """Indices of the services named, or owned by the teams named; None when neither is."""
        wanted: set[int] | None = None
        if service_ids is not None:
            wanted = {
                self.service_by_id[service_id].index
                for service_id in service_ids
                if service_id in self.service_by_id
            }
        if team_ids is not None:
            wanted_teams = set(team_ids)
            team_services = {
                service.index
                for service in self.services
                if self.teams[service.team_index].id in wanted_teams
            }
            wanted = team_services if wanted is None else wanted & team_services
        return wanted

    def query_incidents(self, query: IncidentQuery) -> Sequence[int]:
        """Indices of matching incidents in the requested order.

        The cheapest candidate set is chosen first (a plain index range, the open-incident
        index, or the per-service indexes), so a window without filters costs nothing and a
        filtered query scans its candidates once; the result is cached until the data changes.
        """
        return self._cached(query.cache_key(), lambda: self._find_incidents(query))

    def _find_incidents(self, query: IncidentQuery) -> Sequence[int]:
        low, high = self.window_bounds(query.since, query.until)
        statuses = query.statuses
        if statuses is not None and statuses >= ALL_STATUSES:
            statuses = None
        urgencies = query.urgencies
        if urgencies is not None and urgencies >= {"high", "low"}:
            urgencies = None
        service_indices = self.service_indices(query.service_ids, query.team_ids)

        candidates: Sequence[int]
        if query.incident_key is not None:
            key_index = self._incident_key_lookup().get(query.incident_key.lower())
            candidates = [key_index] if key_index is not None and low <= key_index < high else []
        elif statuses is not None and statuses <= OPEN_STATUSES:
            open_indices = self.open_incident_indices
            candidates = open_indices[
                bisect.bisect_left(open_indices, low) : bisect.bisect_left(open_indices, high)
            ]
        elif service_indices is not None:
            merged: list[int] = []
            for service_index in service_indices:
                indices = self.incident_indices_by_service[service_index]
                merged.extend(
                    indices[bisect.bisect_left(indices, low) : bisect.bisect_left(indices, high)]
                )
            merged.sort()
            candidates = merged
            service_indices = None
        else:
            candidates = range(low, high)

        if statuses is not None or urgencies is not None or service_indices is not None:
            incidents = self.incidents
            candidates = [
                index
                for index in candidates
                if (statuses is None or incidents[index].status in statuses)
                and (urgencies is None or incidents[index].urgency in urgencies)
                and (service_indices is None or incidents[index].service_index in service_indices)
            ]
        if query.descending:
            candidates = candidates[::-1]
        return candidates

    def _incident_key_lookup(self) -> dict[str, int]:
        if self._incident_key_index is None:
            self._incident_key_index = {
                self.incident_key_text(incident): incident.index for incident in self.incidents
            }
        return self._incident_key_index

    # -- log entries -------------------------------------------------------------------------

    def log_entry_id(self, incident: Incident, sequence: int) -> str:
        return encode_log_entry_id(incident.index, sequence, self.log_entry_salt)

    def find_log_entry(self, log_entry_id: str) -> tuple[Incident, LogEntryRecord]:
        """Decode a log entry id back to its incident and record."""
        incident_index, sequence = decode_log_entry_id(log_entry_id, self.log_entry_salt)
        if incident_index >= len(self.incidents):
            raise NotFoundError(log_entry_id)
        incident = self.incidents[incident_index]
        records = incident_log_entries(incident)
        if sequence >= len(records):
            raise NotFoundError(log_entry_id)
        return incident, records[sequence]

    def query_log_entries(
        self, *, since: int | None, until: int | None, overview_only: bool
    ) -> Sequence[tuple[int, int]]:
        """(incident index, sequence) pairs of account log entries in [since, until), newest first."""
        if not self.log_index.built:
            self.log_index.build(self.incidents)
        return self._cached(
            ("log", since, until, overview_only),
            lambda: self.log_index.query(since=since, until=until, overview_only=overview_only),
        )

    # -- notifications -----------------------------------------------------------------------

    def query_notifications(
        self, *, since: int, until: int, types: frozenset[str] | None
    ) -> Sequence[NotificationRecord]:
        """Notifications sent in [since, until), oldest first (derived from the incidents)."""

        def compute() -> list[NotificationRecord]:
            window = self.window_bounds(since - LATEST_NOTIFICATION_DELAY_SECONDS, until)
            return [
                record
                for record in notifications_in_window(self.incidents, window, types=types)
                if since <= record.at < until
            ]

        return self._cached(("notifications", since, until, types), compute)

    # -- users, licenses ---------------------------------------------------------------------

    def active_users(self) -> list[User]:
        """Users that still exist, sorted by name as PagerDuty lists them."""
        return [user for user in self.users_sorted_by_name if user.removed_at is None]

    def get_user(self, user_id: str) -> User:
        user = self.user_by_id.get(user_id)
        if user is None or user.removed_at is not None:
            raise NotFoundError(user_id)
        return user

    def license_for_role(self, role: str) -> License | None:
        for license_tier in self.licenses:
            if role in license_tier.valid_roles:
                return license_tier
        return None

    def license_allocations(self) -> list[tuple[User, License]]:
        """Which active user holds which license (invited users hold one too)."""
        allocations = []
        for user in self.users:
            if user.removed_at is not None:
                continue
            license_tier = self.license_for_role(user.role)
            if license_tier is not None:
                allocations.append((user, license_tier))
        return allocations

    # -- summary -----------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Counts a test can compare with what a sync stored."""
        with self.lock:
            by_status = {TRIGGERED: 0, ACKNOWLEDGED: 0, RESOLVED: 0}
            for index in self.open_incident_indices:
                by_status[self.incidents[index].status] += 1
            by_status[RESOLVED] = (
                len(self.incidents) - by_status[TRIGGERED] - by_status[ACKNOWLEDGED]
            )
            active = [user for user in self.users if user.removed_at is None]
            data_loss_notes = sum(
                1
                for incident in self.incidents
                if incident.notes
                and any(
                    "data loss" in note.content.lower() or "dataloss" in note.content.lower()
                    for note in incident.notes
                )
            )
            return {
                "seed": self.seed,
                "now": format_timestamp(self.now),
                "account_id": self.account_id,
                "subdomain": self.subdomain,
                "services": len(self.services),
                "services_with_email_integration": sum(
                    1
                    for service in self.services
                    if any(i.integration_email for i in service.integrations)
                ),
                "teams": len(self.teams),
                "priorities": len(self.priorities),
                "users": len(active),
                "users_removed": len(self.users) - len(active),
                "users_invited": sum(1 for user in active if user.invitation_sent),
                "users_never_signed_in": sum(1 for user in active if user.last_sign_in_at is None),
                "users_on_schedule": sum(1 for user in active if user.on_schedule),
                "users_on_escalation_policy": sum(
                    1 for user in active if user.on_escalation_policy
                ),
                "users_by_role": _count_by(user.role for user in active),
                "license_allocations": len(self.license_allocations()),
                "incidents": len(self.incidents),
                "incidents_by_status": by_status,
                "notifications": sum(
                    len(incident.notification_types) for incident in self.incidents
                ),
                "incidents_with_priority": sum(
                    1 for incident in self.incidents if incident.priority_index >= 0
                ),
                "incidents_with_data_loss_note": data_loss_notes,
                "incidents_with_data_loss_field_true": sum(
                    1 for incident in self.incidents if incident.data_loss is True
                ),
                "first_incident_created_at": format_timestamp(self.created_times[0])
                if self.incidents
                else None,
                "last_incident_created_at": format_timestamp(self.created_times[-1])
                if self.incidents
                else None,
                "version": self.version,
            }


def _count_by(values: Iterable[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return dict(sorted(counts.items()))
