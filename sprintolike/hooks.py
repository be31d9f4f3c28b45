"""Listeners one app calls without importing the apps that listen (they register in their
AppConfig.ready()): `OrganizationEvent` calls each with the organisation's id once the current
transaction commits, so a listener never sees a change that was rolled back."""

from collections.abc import Callable

from django.db import transaction

OrganizationListener = Callable[[int], None]


class OrganizationEvent:
    def __init__(self) -> None:
        self._listeners: list[OrganizationListener] = []

    def register(self, listener: OrganizationListener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def notify(self, *, organization_id: int) -> None:
        for listener in tuple(self._listeners):
            transaction.on_commit(lambda listener=listener: listener(organization_id))
