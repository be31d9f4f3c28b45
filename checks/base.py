"""What a check is, what it yields, and what it is given to evaluate one organisation."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from integrations.models import Connection
from tenants.models import Organization

T = TypeVar("T")


@dataclass(frozen=True)
class EntityOutcome:
    """One entity's status under one check, before special cases are applied.

    `external_id` is the entity's id in the system it comes from (PagerDuty's), `label` what
    people call it, and `extra` a few facts of its kind that pages and reports show (an
    incident's `{"number": 42}`, an account's `{"email": ...}`); all are stored on the result.
    """

    entity_id: int
    status: str
    external_id: str = ""
    label: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    deadline: datetime | None = None
    detail: str = ""


@dataclass
class EvaluationContext:
    """One organisation at one instant; shared by every check evaluated in the same run.

    `entity_ids` narrows the run to a few entities (re-evaluating one incident after its review
    changed); None means all. `cached` lets checks of one family load their shared inputs (the
    incident policy, the sources) once per run.
    """

    organization: Organization
    now: datetime
    entity_ids: frozenset[int] | None = None
    connections: list[Connection] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def load(
        cls, *, organization: Organization, now: datetime, entity_ids: Iterable[int] | None = None
    ) -> "EvaluationContext":
        return cls(
            organization=organization,
            now=now,
            entity_ids=frozenset(entity_ids) if entity_ids is not None else None,
            connections=list(Connection.objects.filter(organization=organization)),
        )

    def narrowed(self, entity_ids: Iterable[int]) -> "EvaluationContext":
        """The same organisation, instant and connections, for a few entities only."""
        return EvaluationContext(
            organization=self.organization,
            now=self.now,
            entity_ids=frozenset(entity_ids),
            connections=self.connections,
        )

    def connections_for(self, purpose: str) -> list[Connection]:
        """Connections whose data counts for `purpose` (see `Connection.serves`)."""
        return [connection for connection in self.connections if connection.serves(purpose)]

    def cached(self, key: str, build: Callable[[], T]) -> T:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]


Applicability = tuple[bool, str]


@dataclass(frozen=True)
class Check:
    """A compliance check, registered by its domain app (`checks.registry.check_register`).

    `applies` says whether the check applies to the organisation now and, when it does not,
    the true reason in words users can act on (shown on Monitoring). `evaluate` yields one
    outcome per entity in scope, in ascending `entity_id` order (the engine merges them with
    the stored results in one pass). `entity_type` is the code of a registered entity kind.
    """

    code: str
    title: str
    system: str
    category: str
    entity_type: str
    description: str
    how_to_fix: str
    applies: Callable[[EvaluationContext], Applicability]
    evaluate: Callable[[EvaluationContext], Iterable[EntityOutcome]]
    note: str = ""  # one line Monitoring shows under the title: how to read the counts
