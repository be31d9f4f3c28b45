from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django_q.models import Schedule


class Command(BaseCommand):
    help = (
        "Create or update the django-q2 schedules every app declares in its schedules.py "
        "(SCHEDULES: a list of dicts with name, func, schedule_type and minutes). Idempotent."
    )

    def handle(self, *args, **options) -> None:
        for app_config in apps.get_app_configs():
            try:
                module = import_module(f"{app_config.name}.schedules")
            except ModuleNotFoundError as error:
                if error.name != f"{app_config.name}.schedules":
                    raise
                continue
            for declared in module.SCHEDULES:
                values = dict(declared)
                name = values.pop("name")
                schedule, created = Schedule.objects.update_or_create(name=name, defaults=values)
                verb = "created" if created else "updated"
                self.stdout.write(f"{verb} schedule {name}: {schedule.func} {_cadence(schedule)}")


def _cadence(schedule: Schedule) -> str:
    """'every 15 min' for minute schedules, else django-q2's own word ('Daily', 'Hourly')."""
    if schedule.schedule_type == Schedule.MINUTES:
        return f"every {schedule.minutes} min"
    return schedule.get_schedule_type_display().lower()
