"""django-q2 schedules of the access app; `manage.py setup_schedules` creates them."""

SCHEDULES = [
    {
        "name": "Remind reviewers of access reviews due soon",
        "func": "access.tasks.send_review_reminders",
        "schedule_type": "D",
    }
]
