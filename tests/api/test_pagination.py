"""Keyset pagination: every row once, in order, even while rows are added between pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api.pagination import _after
from tests.api.conftest import bearer
from tests.factories import ConnectionFactory, RemoteIncidentFactory, RemoteServiceFactory

pytestmark = pytest.mark.django_db


def _walk(api, path, secret, on_page=None):
    seen, pages = [], 0
    while path:
        body = api.get(path, **bearer(secret)).json()
        seen.extend(row["id"] for row in body["results"])
        path = body["next"]
        pages += 1
        if on_page:
            on_page(pages)
    return seen, pages


def test_pages_are_stable_while_incidents_with_equal_timestamps_are_added(
    api, organization, member_token
):
    connection = ConnectionFactory(organization=organization, last_synced_at=timezone.now())
    service = RemoteServiceFactory(connection=connection)
    base = timezone.now().replace(microsecond=0) - timedelta(days=1)
    # Ties on created_at: the cursor must hold the id too.
    originals = [
        RemoteIncidentFactory(
            connection=connection,
            service=service,
            created_at_remote=base - timedelta(minutes=i // 3),
        )
        for i in range(25)
    ]
    expected = [
        incident.pk
        for incident in sorted(originals, key=lambda i: (i.created_at_remote, i.pk), reverse=True)
    ]

    def add_rows(page_number):
        # New incidents land before and among the ones already listed.
        RemoteIncidentFactory(
            connection=connection, service=service, created_at_remote=timezone.now()
        )
        RemoteIncidentFactory(connection=connection, service=service, created_at_remote=base)

    path = reverse("api:incidents:incident_list", args=[organization.slug]) + "?page_size=4"
    seen, pages = _walk(api, path, member_token, on_page=add_rows)
    assert pages >= 7
    listed_originals = [pk for pk in seen if pk in set(expected)]
    assert listed_originals == expected, "every original row exactly once, in order"
    assert len(seen) == len(set(seen)), "no row twice"


def test_keyset_condition_compares_the_whole_key():
    condition = _after(("-created_at_remote", "-id"), ["T", 7])
    assert str(condition) == (
        "(OR: ('created_at_remote__lt', 'T'), (AND: ('created_at_remote', 'T'), ('id__lt', 7)))"
    )


def test_staff_pages_by_name_then_id(api, organization, member_token):
    from tests.factories import StaffMemberFactory

    staff = [StaffMemberFactory(organization=organization, name=f"Same {i % 2}") for i in range(7)]
    path = reverse("api:tenants:staff_list", args=[organization.slug]) + "?page_size=2"
    seen, pages = _walk(api, path, member_token)
    assert pages == 4
    assert seen == [s.pk for s in sorted(staff, key=lambda s: (s.name, s.pk))]
