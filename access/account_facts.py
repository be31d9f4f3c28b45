"""A critical system's accounts as one SQL relation joined to who they belong to.

`access.accounts.annotate_identity` writes the identification rule as correlated subqueries:
right for a page of accounts, but a list sorted or filtered by staff member, identification or
check status, a count, or the Summary tab evaluated them for every account (some thirty index
probes each, about a second at 10,000 PagerDuty accounts). Here the same rule is a handful of
LEFT JOINs, each on a unique key (the decision by hand per system and account key, the staff
email and the alternate email per organisation, the staff member by id), which PostgreSQL hashes
once per table; a join the query does not read is removed by the planner.

Lists page on this relation's ids (`AccountList`) and annotate only the page's rows with the
ORM; the Summary tab counts with one aggregate (`identity_counts`); the offboarding tab and the
staff page find a person's accounts with `account_ids_of_staff`.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone

from access.accounts import access_connections
from access.checks import ACCOUNT, SYSTEM_ACCOUNT
from access.forms import SORTS
from access.models import AccountIdentity, CriticalSystem, IdentityKind, ManualAccount
from access.rules import Identification
from checks.models import CheckResult, CheckStatus
from integrations.models import RemoteAccount, RemoteLicense
from tenants.models import OrgRole, StaffAlternateEmail, StaffMember, StaffStatus


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _accounts_source(*, system: CriticalSystem, live_only: bool) -> tuple[str, list[Any]]:
    """SELECT of the system's own account columns, under the names every query here uses."""
    if system.is_pagerduty:
        connection_ids = [item.pk for item in access_connections(organization=system.organization)]
        sql = (
            "SELECT remote.id, remote.external_id AS account_key, remote.name, remote.email, "
            "remote.role, remote.last_sign_in_at, remote.license_id, "
            "license.name AS license_name, remote.on_schedule, remote.on_escalation_policy, "
            "remote.removed_at "
            f"FROM {_table(RemoteAccount)} AS remote "
            f"LEFT JOIN {_table(RemoteLicense)} AS license ON license.id = remote.license_id "
            f"WHERE remote.organization_id = %s AND remote.connection_id IN ({_in(connection_ids)})"
        )
        if live_only:
            sql += " AND remote.removed_at IS NULL"
        return sql, [system.organization_id, *connection_ids]
    sql = (
        "SELECT id, email AS account_key, name, email, role, "
        "CAST(NULL AS timestamp) AS last_sign_in_at, CAST(NULL AS bigint) AS license_id, "
        "CAST(NULL AS varchar(1)) AS license_name, "
        "CAST(NULL AS boolean) AS on_schedule, CAST(NULL AS boolean) AS on_escalation_policy, "
        "CAST(NULL AS timestamp) AS removed_at "
        f"FROM {_table(ManualAccount)} WHERE system_id = %s"
    )
    return sql, [system.pk]


def facts_sql(
    *,
    system: CriticalSystem,
    live_only: bool = True,
    on: date | None = None,
    identity: bool = True,
    check_status: bool = True,
) -> tuple[str, list[Any]]:
    """(sql, params) of one row per account of the system: its own columns, then (unless
    `identity` is False) `identification`, `staff_id`, `staff_name`, `staff_status`,
    `staff_org_role_id`, `staff_org_role_name` (the rule of `annotate_identity`, as joins) and
    (unless `check_status` is False) `check_status`, the worst stored result of the account's
    checks (the rule of the selectors' `_with_check_status`, as hashed semi-joins on the
    results' (organisation, entity type, status, entity) index)."""
    source, source_params = _accounts_source(system=system, live_only=live_only)
    columns, joins, column_params, join_params = ["account.*"], [], [], []
    if identity:
        decided = "identity.kind = %s"
        email_staff_id = "COALESCE(by_email.id, by_alternate_email.staff_member_id)"
        not_staff, mapped = IdentityKind.NOT_STAFF.value, IdentityKind.MAPPED.value
        columns += [
            f"CASE WHEN {decided} THEN %s WHEN {decided} THEN %s "
            f"WHEN {email_staff_id} IS NOT NULL THEN %s ELSE %s END AS identification",
            "staff.id AS staff_id",
            "staff.name AS staff_name",
            "staff.status AS staff_status",
            "staff.org_role_id AS staff_org_role_id",
            "org_role.name AS staff_org_role_name",
        ]
        column_params += [
            not_staff,
            Identification.NOT_STAFF.value,
            mapped,
            Identification.MANUAL.value,
            Identification.AUTO.value,
            Identification.NOT_IDENTIFIED.value,
        ]
        joins.append(f"""
            LEFT JOIN {_table(AccountIdentity)} AS identity
                ON identity.system_id = %s AND identity.account_key = account.account_key
                AND (identity.expires_on IS NULL OR identity.expires_on >= %s)
            LEFT JOIN {_table(StaffMember)} AS by_email
                ON by_email.organization_id = %s AND by_email.email = account.email
            LEFT JOIN {_table(StaffAlternateEmail)} AS by_alternate_email
                ON by_alternate_email.organization_id = %s
                AND by_alternate_email.email = account.email
            LEFT JOIN {_table(StaffMember)} AS staff ON staff.id = (
                CASE WHEN {decided} THEN NULL WHEN {decided} THEN identity.staff_member_id
                    ELSE {email_staff_id} END
            )
            LEFT JOIN {_table(OrgRole)} AS org_role ON org_role.id = staff.org_role_id
        """)
        organization_id = system.organization_id
        join_params += [
            *[system.pk, on or timezone.now().date(), organization_id, organization_id],
            *[not_staff, mapped],
        ]
    if check_status:
        with_status = (
            f"account.id IN (SELECT entity_id FROM {_table(CheckResult)} "
            "WHERE organization_id = %s AND entity_type = %s AND status = %s)"
        )
        entity_type = ACCOUNT if system.is_pagerduty else SYSTEM_ACCOUNT
        columns.append(
            f"CASE WHEN {with_status} THEN %s WHEN {with_status} THEN %s "
            f"WHEN {with_status} THEN %s ELSE %s END AS check_status"
        )
        for status in (CheckStatus.FAILING, CheckStatus.DUE, CheckStatus.PASSING):
            column_params += [system.organization_id, entity_type, status.value, status.value]
        column_params.append("not_evaluated")
    sql = f"SELECT {', '.join(columns)} FROM ({source}) AS account {' '.join(joins)}"
    return sql, [*column_params, *source_params, *join_params]


def _in(values: list[Any]) -> str:
    """Placeholders of an IN list (portable: SQLite has no ``= ANY(array)``); NULL when empty,
    which matches nothing."""
    return ", ".join(["%s"] * len(values)) or "NULL"


def _fetch(sql: str, params: list[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _like(text: str) -> str:
    return f"%{connection.ops.prep_for_like_query(text)}%"


IDENTITY_COLUMNS = ("identification", "staff_name")


@dataclass
class AccountList:
    """The Staff access tab's accounts, filtered and sorted, as ids: what `Paginator` needs
    (`count()` and slices, one query each) without annotating the rows a page skips."""

    system: CriticalSystem
    filters: dict[str, Any]
    where: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        filters, pagerduty = self.filters, self.system.is_pagerduty
        if filters.get("q"):
            self._add(
                "(UPPER(name) LIKE UPPER(%s) OR UPPER(email) LIKE UPPER(%s))",
                _like(filters["q"]),
                _like(filters["q"]),
            )
        for column in ("identification", "staff_status", "role", "check_status"):
            if filters.get(column):
                self._add(f"{column} = %s", filters[column])
        if filters.get("org_role"):
            self._add("staff_org_role_id = %s", filters["org_role"].pk)
        if filters.get("license") and pagerduty:
            self._add("license_id = %s", int(filters["license"]))
        if filters.get("on_call") and pagerduty:
            on_call = "(on_schedule IS TRUE OR on_escalation_policy IS TRUE)"
            self._add(on_call if filters["on_call"] == "yes" else f"NOT {on_call}")
        order = SORTS.get(filters.get("sort") or "name", "name")
        if not pagerduty and order.lstrip("-") == "last_sign_in_at":
            order = "name"
        column = order.lstrip("-")
        self.order_by = f"{column} {'DESC' if order.startswith('-') else 'ASC'}, id ASC"
        needs_identity = column in IDENTITY_COLUMNS or any(
            filters.get(name) for name in ("identification", "staff_status", "org_role")
        )
        self.facts = facts_sql(
            system=self.system,
            identity=needs_identity,
            check_status=bool(filters.get("check_status")),
        )

    def _add(self, condition: str, *params: Any) -> None:
        self.where.append(condition)
        self.params.extend(params)

    def _query(
        self, select: str, facts: tuple[str, list[Any]] | None = None
    ) -> tuple[str, list[Any]]:
        sql, params = facts or self.facts
        where = f"WHERE {' AND '.join(self.where)}" if self.where else ""
        return f"SELECT {select} FROM ({sql}) AS facts {where}", [*params, *self.params]

    def count(self) -> int:
        sql, params = self._query("COUNT(*)")
        return _fetch(sql, params)[0][0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[int]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("AccountList takes slices of consecutive ids.")
        start = index.start or 0
        if index.stop is not None and index.stop <= start:
            return []
        sql, params = self._query("id")
        limits = connection.ops.limit_offset_sql(start, index.stop)
        return [row[0] for row in _fetch(f"{sql} ORDER BY {self.order_by} {limits}", params)]

    def rows(self, *, chunk_size: int = 2000) -> Iterator[Any]:
        """Every account's facts in order, streamed (named rows; the CSV export)."""
        sql, params = self._query("*", facts_sql(system=self.system))
        with connection.chunked_cursor() as cursor:
            cursor.execute(f"{sql} ORDER BY {self.order_by}", params)
            Row = namedtuple("Row", [column[0] for column in cursor.description])
            while chunk := cursor.fetchmany(chunk_size):
                yield from (Row(*values) for values in chunk)


class IdentityGroup(NamedTuple):
    """Accounts alike for the valid-access rule, with how many there are."""

    identification: str
    staff_status: str | None
    staff_org_role_id: int | None
    staff_org_role_name: str | None
    role: str
    accounts: int
    offboarded_staff_ids: list[int]


def identity_counts(*, system: CriticalSystem) -> list[IdentityGroup]:
    """The live accounts grouped by what the valid-access rule reads (one aggregate query):
    the rule is then applied once per group, not once per account."""
    return identity_counts_of_systems([system])[system.pk]


def identity_counts_of_systems(systems: list[CriticalSystem]) -> dict[int, list[IdentityGroup]]:
    """`identity_counts` of several systems in one aggregate query: each system's facts (one
    `SELECT` each, joined with `UNION ALL`) grouped by system and what the rule reads."""
    groups: dict[int, dict[tuple, list]] = {system.pk: {} for system in systems}
    if not systems:
        return {}
    selects, params = [], []
    for system in systems:
        sql, facts_params = facts_sql(system=system, check_status=False)
        selects.append(
            "SELECT %s AS system_id, identification, staff_status, staff_org_role_id, "
            f"staff_org_role_name, role, staff_id FROM ({sql}) AS facts"
        )
        params += [system.pk, *facts_params]
    # Offboarded people's ids split their groups (portable SQL: no ARRAY_AGG); merged here.
    for system_id, *key, offboarded_staff_id, accounts in _fetch(
        "SELECT system_id, identification, staff_status, staff_org_role_id, "
        "staff_org_role_name, role, CASE WHEN staff_status = %s THEN staff_id END, COUNT(*) "
        f"FROM ({' UNION ALL '.join(selects)}) AS facts GROUP BY 1, 2, 3, 4, 5, 6, 7",
        [StaffStatus.OFFBOARDED.value, *params],
    ):
        group = groups[system_id].setdefault(tuple(key), [0, []])
        group[0] += accounts
        if offboarded_staff_id is not None:
            group[1].append(offboarded_staff_id)
    return {
        system_id: [
            IdentityGroup(*key, accounts, sorted(staff_ids))
            for key, (accounts, staff_ids) in system_groups.items()
        ]
        for system_id, system_groups in groups.items()
    }


def account_ids_of_staff(
    *,
    system: CriticalSystem,
    staff_ids: Iterable[int],
    live_only: bool = True,
    on: date | None = None,
) -> list[int]:
    """The ids of the accounts that belong to these staff members (one query): the ORM's
    `staff_id` annotation in a filter is evaluated for every account of the system. A list,
    not a subquery, so the planner cannot rerun the joins once per account."""
    staff_ids = list(staff_ids)
    if not staff_ids:
        return []
    sql, params = facts_sql(system=system, live_only=live_only, on=on, check_status=False)
    rows = _fetch(
        f"SELECT id FROM ({sql}) AS facts WHERE staff_id IN ({_in(staff_ids)})",
        [*params, *staff_ids],
    )
    return [row[0] for row in rows]
