"""Foreign objects for the integration pages' URL kwargs (see `tests/foreign_objects.py`)."""

from tests.factories import ConnectionFactory

FOREIGN_OBJECT_MAKERS = {
    "connection_id": lambda organization: ConnectionFactory(organization=organization).pk,
}
