"""The incident list pages by keyset: newest first, the same cost on every page, a capped count."""

from datetime import timedelta

import pytest
from django.urls import reverse

from sprintolike import keyset
from tests.checks.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def numbers(response) -> list[int]:
    return [row["incident"].number for row in response.context["rows"]]


def test_older_and_newer_links_walk_every_incident_once(member_client, organization, make_incident):
    for number in range(1, 121):
        # Pairs share a creation time, so the primary key breaks ties.
        make_incident(number=number, created_at_remote=NOW - timedelta(minutes=200 - number // 2))
    url = reverse("incidents:incident_list", args=[organization.slug])

    first = member_client.get(url)
    page = first.context["page"]
    assert len(numbers(first)) == 50 and not page.has_previous and page.has_next
    assert page.count == 120 and not page.count_is_capped
    second = member_client.get(url, {"after": page.next_cursor})
    third = member_client.get(url, {"after": second.context["page"].next_cursor})
    assert not third.context["page"].has_next
    seen = numbers(first) + numbers(second) + numbers(third)
    assert sorted(seen) == list(range(1, 121)) and len(seen) == 120
    assert seen == sorted(seen, reverse=True)

    back = member_client.get(url, {"before": third.context["page"].previous_cursor})
    assert numbers(back) == numbers(second)
    assert "Older →" in first.content.decode() and "120 in all" in first.content.decode()


def test_a_filter_is_kept_in_the_page_links(member_client, organization, make_incident):
    for number in range(1, 61):
        make_incident(number=number, title=f"Disk full {number}", hours_ago=number)
    make_incident(number=999, title="Something else")
    url = reverse("incidents:incident_list", args=[organization.slug])

    response = member_client.get(url, {"q": "disk"})

    assert response.context["page"].count == 60
    assert "q=disk&amp;after=" in response.content.decode()


def test_the_count_is_capped(member_client, organization, make_incident, monkeypatch):
    monkeypatch.setattr(keyset, "COUNT_CAP", 5)
    monkeypatch.setattr(keyset.keyset_paginate, "__kwdefaults__", {"per_page": 3, "count_cap": 5})
    for number in range(1, 9):
        make_incident(number=number, hours_ago=number)

    response = member_client.get(reverse("incidents:incident_list", args=[organization.slug]))

    assert "More than 5 in all" in response.content.decode()


def test_a_malformed_cursor_shows_the_first_page(member_client, organization, make_incident):
    make_incident(number=1)
    response = member_client.get(
        reverse("incidents:incident_list", args=[organization.slug]), {"after": "yesterday~x"}
    )
    assert response.status_code == 200 and numbers(response) == [1]
