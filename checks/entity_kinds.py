"""What the engine knows about the things checks judge (incidents, accounts, staff, systems...).

A domain app registers its entity kinds in its `AppConfig.ready()`. A kind says what its
entities are called, where each one's page is, and which facts the evidence export and the
JSON report add about them, so a new family of checks brings its own columns without a change
to the engine.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from tenants.models import Organization

if TYPE_CHECKING:
    from checks.models import CheckResult


def _no_columns(*, organization: Organization, results: Sequence["CheckResult"]) -> dict:
    return {}


@dataclass(frozen=True)
class EntityKind:
    """One kind of entity.

    - `detail_url(org_slug, entity_id)`: the entity's page, or "" when it has none;
    - `evidence_columns`: the CSV columns this kind adds, in order;
    - `evidence_values(organization=, results=)`: `{entity_id: {column: value}}` for a chunk of
      one check's results (a bounded number of queries per chunk);
    - `evidence_in_range(organization=, start=, end=)`: the ids of the entities an export from
      `start` to `end` (aware datetimes, end excluded) covers, or None for all of them;
    - `report_fields(result)`: extra keys of this kind's entities in the JSON report;
    - `title_of(result)`, `subtitle_of(result)`: how lists name an entity (`#42 Checkout down`)
      and the line under it (an account's email);
    - `changed_entity_ids(organization=, since=)`: the ids of the entities whose synced inputs
      a sync changed at or after `since` (an aware datetime), including entities that are gone,
      so their results are retired; None when the kind cannot tell, and its checks are then
      evaluated in full after a sync. Changes made in the app are not its business: they
      re-evaluate the entities concerned themselves or mark the organisation's inputs changed.
    """

    code: str
    label: str
    detail_url: Callable[[str, int], str] = lambda org_slug, entity_id: ""
    evidence_columns: tuple[str, ...] = ()
    evidence_values: Callable[..., Mapping[int, Mapping[str, Any]]] = _no_columns
    evidence_in_range: Callable[..., QuerySet | None] = lambda **kwargs: None
    report_fields: Callable[["CheckResult"], Mapping[str, Any]] = lambda result: {}
    title_of: Callable[["CheckResult"], str] = lambda result: result.entity_label
    subtitle_of: Callable[["CheckResult"], str] = lambda result: ""
    changed_entity_ids: Callable[..., set[int] | None] = lambda **kwargs: None


_KINDS: dict[str, EntityKind] = {}


def entity_kind_register(kind: EntityKind) -> EntityKind:
    """Add a kind (idempotent for the same object, so a reloaded app config is harmless)."""
    existing = _KINDS.get(kind.code)
    if existing is not None and existing is not kind:
        raise ValueError(f"Entity kind {kind.code!r} is already registered.")
    _KINDS[kind.code] = kind
    return kind


def entity_kind_unregister(code: str) -> None:
    _KINDS.pop(code, None)


def entity_kind_get(code: str) -> EntityKind:
    """The kind of `code`; an unknown code (its app was removed) gets a bare kind."""
    return _KINDS.get(code) or EntityKind(code=code, label=code.replace("_", " ").capitalize())


def entity_kind_is_registered(code: str) -> bool:
    return code in _KINDS


def entity_kind_list() -> list[EntityKind]:
    return list(_KINDS.values())


def in_range(value: datetime | None, start: datetime, end: datetime) -> bool:
    return value is not None and start <= value < end
