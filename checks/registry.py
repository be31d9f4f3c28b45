"""Every check the product knows, in the order pages list them: the one place checks live.

Domain apps register theirs in `AppConfig.ready()` (see `incidents/apps.py`): write the
`Check(...)` with its `applies` and `evaluate` functions, register its entity kind
(`checks.entity_kinds`) and call `check_register`. Results, history, special cases,
Monitoring, the evidence export and `manage.py evaluate_checks` pick it up.
"""

from checks.base import Check
from checks.entity_kinds import entity_kind_is_registered

_CHECKS: dict[str, Check] = {}


def check_register(check: Check) -> Check:
    """Add a check after the ones already registered (idempotent for the same object)."""
    existing = _CHECKS.get(check.code)
    if existing is not None and existing is not check:
        raise ValueError(f"Check code {check.code!r} is already registered.")
    if not entity_kind_is_registered(check.entity_type):
        raise ValueError(f"Register entity kind {check.entity_type!r} before check {check.code}.")
    _CHECKS[check.code] = check
    return check


def check_unregister(code: str) -> None:
    _CHECKS.pop(code, None)


def check_get(code: str) -> Check | None:
    return _CHECKS.get(code)


def check_list() -> list[Check]:
    return list(_CHECKS.values())


def checks_for_entity_type(entity_type: str) -> list[Check]:
    return [check for check in _CHECKS.values() if check.entity_type == entity_type]
