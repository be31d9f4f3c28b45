"""Who did it: the user behind an action, or None for commands, tasks and anonymous requests."""

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser


def user_or_none(acting_user: Any) -> AbstractBaseUser | None:
    """The user to store in ``*_by`` columns: a signed-in user, else None (commands, tasks)."""
    return acting_user if getattr(acting_user, "is_authenticated", False) else None
