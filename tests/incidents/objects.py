"""Foreign objects for the incident pages' URL kwargs (see `tests/foreign_objects.py`)."""

from tests.factories import RemoteIncidentFactory
from tests.incidents.factories import DisclosureFactory

FOREIGN_OBJECT_MAKERS = {
    "disclosure_id": lambda organization: (
        DisclosureFactory(review__incident__connection__organization=organization).pk
    ),
    "incident_id": lambda organization: (
        RemoteIncidentFactory(connection__organization=organization).pk
    ),
}
