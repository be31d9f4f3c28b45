"""What other apps want done when the staff directory changes, without tenants importing them.

Access management's checks read staff status, org roles and emails; access registers a listener
in its AppConfig.ready(), and tenants calls every listener with the organisation's id once the
change has committed.
"""

from collections.abc import Callable

from django.db import transaction

StaffChangedListener = Callable[[int], None]
_STAFF_CHANGED_LISTENERS: list[StaffChangedListener] = []


def register_staff_changed_listener(listener: StaffChangedListener) -> None:
    if listener not in _STAFF_CHANGED_LISTENERS:
        _STAFF_CHANGED_LISTENERS.append(listener)


def staff_changed(*, organization_id: int) -> None:
    """Tell every listener, after the current transaction commits, that staff changed."""
    for listener in tuple(_STAFF_CHANGED_LISTENERS):
        transaction.on_commit(lambda listener=listener: listener(organization_id))
