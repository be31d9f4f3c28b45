"""Periodic work of the integrations app; `manage.py setup_schedules` creates it idempotently."""

from django.conf import settings
from django_q.models import Schedule

SCHEDULES = [
    {
        "name": "integrations.sync_all_connections",
        "func": "integrations.tasks.sync_all_connections",
        "schedule_type": Schedule.MINUTES,
        "minutes": settings.SYNC_INTERVAL_MINUTES,
        "repeats": -1,
    },
]
