"""Foreign objects for the API token pages' URL kwargs (see `tests/foreign_objects.py`)."""

from tests.api.factories import ApiTokenFactory

FOREIGN_OBJECT_MAKERS = {
    "api_token_id": lambda organization: ApiTokenFactory(organization=organization).pk,
}
