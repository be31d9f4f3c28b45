"""Background tasks (django-q2): each fetches its objects and calls a service.

- after every sync: `verify_follow_ups_after_sync` (registered in `AccessConfig.ready`); the
  checks engine evaluates the access checks after every sync by its own hook;
- daily (`access/schedules.py`): `send_review_reminders`.
"""

import logging

from access.reviews import follow_ups_verify, review_reminders_send
from tenants.models import Organization

logger = logging.getLogger(__name__)


def verify_follow_ups_after_sync(organization_id: int, sync_run_id: int) -> int:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    done = follow_ups_verify(organization=organization)
    logger.info("Sync run %s verified %s access review follow-up(s)", sync_run_id, done)
    return done


def send_review_reminders() -> int:
    return review_reminders_send()
