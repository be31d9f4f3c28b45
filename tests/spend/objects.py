"""Foreign objects for the spend pages' URL kwargs (see `tests/foreign_objects.py`)."""

from spend.models import SaasService

FOREIGN_OBJECT_MAKERS = {
    "service_id": lambda organization: (
        SaasService.objects.create(organization=organization, name="Slack").pk
    ),
}
