"""The incident tests share the engine tests' organisation, clock and incidents made to
measure (`tests/checks/conftest.py`)."""

from tests.checks.conftest import (  # noqa: F401 (fixtures)
    connection,
    evaluate,
    evidence_root,
    frozen_clock,
    make_incident,
    service,
)
