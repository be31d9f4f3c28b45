"""django-q2 schedules of the checks app; `manage.py setup_schedules` creates them."""

SCHEDULES = [
    {
        "name": "Evaluate checks for every organisation",
        "func": "checks.tasks.evaluate_all_organizations",
        "schedule_type": "I",
        "minutes": 60,
    }
]
