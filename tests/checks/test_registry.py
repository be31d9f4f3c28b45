"""The engine's registries: domain apps add checks and entity kinds; the engine knows none."""

from pathlib import Path

import pytest

import checks
from checks.base import Check
from checks.entity_kinds import EntityKind, entity_kind_get
from checks.registry import check_get, check_list, check_register


def test_the_incidents_app_registers_its_checks_and_entity_kind():
    assert [check.code for check in check_list()][:2] == [
        "incident_closed_within_sla",
        "incident_data_loss_recorded",
    ]
    assert entity_kind_get("incident").label == "Incident"


def test_the_engine_imports_no_domain_app():
    engine = Path(checks.__file__).parent
    for source in engine.rglob("*.py"):
        text = source.read_text()
        for domain in ("incidents", "access", "spend"):
            assert f"from {domain}" not in text and f"import {domain}" not in text, source


def test_a_check_code_is_registered_once():
    existing = check_get("incident_closed_within_sla")
    duplicate = Check(**{**existing.__dict__, "title": "Another"})
    with pytest.raises(ValueError, match="already registered"):
        check_register(duplicate)


def test_a_check_needs_a_registered_entity_kind():
    existing = check_get("incident_closed_within_sla")
    orphan = Check(**{**existing.__dict__, "code": "orphan", "entity_type": "spaceship"})
    with pytest.raises(ValueError, match="entity kind"):
        check_register(orphan)
    assert check_get("orphan") is None


def test_an_unknown_entity_kind_still_has_a_label():
    assert entity_kind_get("gone_app_thing") == EntityKind(
        code="gone_app_thing", label="Gone app thing"
    )
