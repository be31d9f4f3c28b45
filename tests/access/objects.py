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


def _review(organization) -> int:
    """A review of the organisation's latest system kept by hand (the one `system_id` made just
    before, so `critical-systems/<system_id>/access-reviews/<review_id>/` names a real pair)."""
    system = (
        CriticalSystem.objects.filter(organization=organization, kind=SystemKind.MANUAL)
        .order_by("-pk")
        .first()
    ) or ManualSystemFactory(organization=organization)
    return AccessReviewFactory(system=system).pk


FOREIGN_OBJECT_MAKERS = {
    "system_id": lambda organization: ManualSystemFactory(organization=organization).pk,
    "review_id": _review,  # right after system_id: see _review
    "manual_account_id": lambda organization: (
        ManualAccountFactory(system__organization=organization).pk
    ),
    "account_id": _account,
    "item_id": lambda organization: (
        AccessReviewItemFactory(review__system__organization=organization).pk
    ),
}
