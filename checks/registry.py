"""Every check the product knows, in the order pages list them. The one place to add a check.

To add a check: write its evaluate function and its `Check(...)` in a module under
`checks/definitions/` (see `incidents.py`), then append it to `CHECKS` below. Results, history,
special cases, Monitoring, the evidence export and `manage.py evaluate_checks` pick it up.
"""

from checks.definitions.base import Check
from checks.definitions.incidents import INCIDENT_CLOSED_WITHIN_SLA, INCIDENT_DATA_LOSS_RECORDED

CHECKS: tuple[Check, ...] = (
    INCIDENT_CLOSED_WITHIN_SLA,
    INCIDENT_DATA_LOSS_RECORDED,
)

_BY_CODE: dict[str, Check] = {check.code: check for check in CHECKS}
assert len(_BY_CODE) == len(CHECKS), "Check codes must be unique."


def check_get(code: str) -> Check | None:
    return _BY_CODE.get(code)


def checks_for_entity_type(entity_type: str) -> tuple[Check, ...]:
    return tuple(check for check in CHECKS if check.entity_type == entity_type)
