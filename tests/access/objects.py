"""Foreign objects for the access pages' URL kwargs (see `tests/foreign_objects.py`)."""

from access.models import CriticalSystem, SystemKind
from tests.access.factories import (
    AccessReviewFactory,
    AccessReviewItemFactory,
    ManualAccountFactory,
    ManualSystemFactory,
)
from tests.factories import RemoteAccountFactory


def _account(organization) -> int:
    CriticalSystem.objects.get_or_create(
        organization=organization, kind=SystemKind.PAGERDUTY, defaults={"name": "PagerDuty"}
    )
    return RemoteAccountFactory(connection__organization=organization).pk


FOREIGN_OBJECT_MAKERS = {
    "system_id": lambda organization: ManualSystemFactory(organization=organization).pk,
    "manual_account_id": lambda organization: (
        ManualAccountFactory(system__organization=organization).pk
    ),
    "account_id": _account,
    "review_id": lambda organization: AccessReviewFactory(system__organization=organization).pk,
    "item_id": lambda organization: (
        AccessReviewItemFactory(review__system__organization=organization).pk
    ),
}
