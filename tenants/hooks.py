"""What other apps want done when the staff directory changes, without tenants importing them.

Access management's checks read staff status, org roles and emails; access registers a listener
in its AppConfig.ready(), and tenants calls every listener with the organisation's id once the
change has committed.
"""

from sprintolike.hooks import OrganizationEvent

_staff_changed = OrganizationEvent()
register_staff_changed_listener = _staff_changed.register


def staff_changed(*, organization_id: int) -> None:
    """Tell every listener, after the current transaction commits, that staff changed."""
    _staff_changed.notify(organization_id=organization_id)
