#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sprintolike.settings")
    # manage.py is the developer's entry point (as in cookiecutter-django): development settings
    # unless DJANGO_DEBUG says otherwise. The WSGI/ASGI entry points default to production.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
