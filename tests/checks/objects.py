"""Foreign objects for the check engine's URL kwargs (see `tests/foreign_objects.py`)."""

from tests.checks.factories import CheckResultFactory, SpecialCaseFactory

FOREIGN_OBJECT_MAKERS = {
    # Check codes are global, not tenant-owned: an unknown code must be a 404 like a foreign id.
    "check_code": lambda organization: "no_such_check",
    "entity_id": lambda organization: CheckResultFactory(organization=organization).entity_id,
    "special_case_id": lambda organization: SpecialCaseFactory(organization=organization).pk,
}
