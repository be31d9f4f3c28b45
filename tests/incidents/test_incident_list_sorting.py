"""The incident list sorts by its column headers and still pages by keyset in every order."""

from datetime import timedelta

import pytest
from django.urls import reverse

from integrations.models import IncidentStatus
from sprintolike import keyset
from tests.checks.conftest import NOW
from tests.factories import RemoteIncidentFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

STATUSES = [IncidentStatus.TRIGGERED, IncidentStatus.ACKNOWLEDGED, IncidentStatus.RESOLVED]


def numbers(response) -> list[int]:
    return [row["incident"].number for row in response.context["rows"]]


def url(organization):
    return reverse("incidents:incident_list", args=[organization.slug])


@pytest.fixture
def incidents(make_incident):
    """30 incidents; pairs share a creation time so the primary key breaks ties."""
    made = []
    for number in range(1, 31):
        made.append(
            make_incident(
                number=(number * 7) % 31,
                created_at_remote=NOW - timedelta(minutes=100 - number // 2),
                urgency="high" if number % 3 else "low",
                status=STATUSES[number % 3],
            )
        )
    return made


def expected(incidents, sort: str) -> list[int]:
    newest = sorted(incidents, key=lambda i: (i.created_at_remote, i.pk), reverse=True)
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if key == "reported":
        rows = newest if descending else newest[::-1]
    else:
        field = {"number": "number", "severity": "urgency", "status": "status"}[key]
        rows = sorted(newest, key=lambda i: getattr(i, field), reverse=descending)  # stable
    return [incident.number for incident in rows]


SORTS = ["reported", "-reported", "number", "-number", "severity", "-severity", "status", "-status"]


@pytest.mark.parametrize("sort", SORTS)
def test_each_sort_orders_the_rows(member_client, organization, incidents, sort):
    response = member_client.get(url(organization), {"sort": sort})
    assert response.status_code == 200
    assert numbers(response) == expected(incidents, sort)
    assert 'aria-sort="' + ("descending" if sort.startswith("-") else "ascending") in (
        response.content.decode()
    )


@pytest.mark.parametrize("sort", SORTS)
def test_paging_forward_and_back_visits_every_row_once(
    member_client, organization, incidents, sort, monkeypatch
):
    monkeypatch.setattr(keyset.keyset_paginate, "__kwdefaults__", {"per_page": 7, "count_cap": 99})
    seen, pages = [], []
    params = {"sort": sort}
    while True:
        response = member_client.get(url(organization), params)
        pages.append(numbers(response))
        seen += numbers(response)
        page = response.context["page"]
        if not page.has_next:
            break
        assert f"sort={sort}&amp;after=" in response.content.decode()
        params = {"sort": sort, "after": page.next_cursor}
    assert seen == expected(incidents, sort) and len(seen) == 30

    backwards = []
    while page.has_previous:
        response = member_client.get(
            url(organization), {"sort": sort, "before": page.previous_cursor}
        )
        page = response.context["page"]
        backwards.insert(0, numbers(response))
    assert backwards == pages[:-1]


def test_the_sort_is_kept_by_filters_and_headers(member_client, organization, incidents):
    response = member_client.get(url(organization), {"sort": "-number", "status": "triggered"})
    content = response.content.decode()
    assert '<input type="hidden" name="sort" value="-number">' in content
    assert 'href="?sort=number&amp;status=triggered"' in content  # the header reverses it
    triggered = [i for i in incidents if i.status == IncidentStatus.TRIGGERED]
    assert numbers(response) == expected(triggered, "-number")


@pytest.mark.parametrize(
    "cursor", ["garbage", "W10", "WyJ4IiwgIngiLCAieCJd", "WzEsIDIsIDNd", "bnVsbA", "~" * 30]
)
def test_a_tampered_cursor_gives_the_first_page(member_client, organization, incidents, cursor):
    for direction in ("after", "before"):
        response = member_client.get(url(organization), {"sort": "number", direction: cursor})
        assert response.status_code == 200
        assert numbers(response) == expected(incidents, "number")


def test_an_unknown_sort_falls_back_to_newest_first(member_client, organization, incidents):
    response = member_client.get(url(organization), {"sort": "-title__secret"})
    assert response.status_code == 200
    assert numbers(response) == expected(incidents, "-reported")


@pytest.mark.parametrize("sort", ["number", "-severity", "status", "reported"])
def test_a_sorted_list_runs_a_bounded_number_of_queries(
    member_client, organization, connection, evaluate, django_assert_max_num_queries, sort
):
    RemoteIncidentFactory.create_batch(120, connection=connection)
    evaluate()
    response = member_client.get(url(organization), {"sort": sort})
    with django_assert_max_num_queries(16):
        response = member_client.get(
            url(organization), {"sort": sort, "after": response.context["page"].next_cursor}
        )
    assert len(response.context["rows"]) == 50
