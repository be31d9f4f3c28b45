"""List pages sort by their column headers: `?sort=` names a whitelisted column, `-` reverses it."""

from datetime import date

import pytest
from django.test import RequestFactory
from django.urls import reverse

from sprintolike.sorting import sorting_from_request
from tenants.models import Role
from tests.factories import MembershipFactory, OrgRoleFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def names_in(response) -> list[str]:
    return [staff_member.name for staff_member in response.context["page"].object_list]


@pytest.fixture
def staff(organization):
    engineering = OrgRoleFactory(organization=organization, name="Engineering")
    finance = OrgRoleFactory(organization=organization, name="Finance")
    StaffMemberFactory(
        organization=organization, name="Bea", org_role=finance, start_date=date(2024, 1, 1)
    )
    StaffMemberFactory(
        organization=organization, name="Ada", org_role=None, start_date=date(2025, 1, 1)
    )
    StaffMemberFactory(organization=organization, name="Cal", org_role=engineering)


def staff_url(organization, **query) -> str:
    base = reverse("tenants:staff_list", args=[organization.slug])
    return base + "?" + "&".join(f"{key}={value}" for key, value in query.items())


def test_staff_directory_sorts_by_name_by_default(member_client, organization, staff):
    assert names_in(member_client.get(staff_url(organization))) == ["Ada", "Bea", "Cal"]


def test_clicking_a_header_sorts_by_it_and_again_reverses(member_client, organization, staff):
    ascending = member_client.get(staff_url(organization, sort="org_role"))
    descending = member_client.get(staff_url(organization, sort="-org_role"))

    assert names_in(ascending) == ["Cal", "Bea", "Ada"]  # staff without a role come last
    assert names_in(descending) == ["Bea", "Cal", "Ada"]
    assert 'aria-sort="ascending"' in ascending.content.decode()
    assert "?sort=-org_role" in ascending.content.decode()
    assert "?sort=org_role" in descending.content.decode()


def test_dates_sort_with_empty_dates_last(member_client, organization, staff):
    response = member_client.get(staff_url(organization, sort="-start_date"))
    assert names_in(response) == ["Ada", "Bea", "Cal"]


def test_an_unknown_sort_column_falls_back_to_the_default(member_client, organization, staff):
    response = member_client.get(staff_url(organization, sort="organization__name"))
    assert response.status_code == 200
    assert names_in(response) == ["Ada", "Bea", "Cal"]


def test_sort_is_kept_by_filters_and_pagination_links(member_client, organization, staff):
    body = member_client.get(staff_url(organization, sort="-name", status="active")).content
    body = body.decode()
    assert '<input type="hidden" name="sort" value="-name">' in body
    assert "?sort=name&amp;status=active" in body


def test_sorted_staff_page_runs_a_bounded_number_of_queries(
    member_client, organization, staff, django_assert_max_num_queries
):
    for _number in range(30):
        StaffMemberFactory(
            organization=organization, org_role=OrgRoleFactory(organization=organization)
        )
    with django_assert_max_num_queries(12):
        response = member_client.get(staff_url(organization, sort="org_role"))
    assert response.status_code == 200


def test_members_sort_by_role_in_rank_order(owner_client, organization, owner):
    admin = MembershipFactory(organization=organization, role=Role.ADMIN, user__email="a@x.test")
    member = MembershipFactory(organization=organization, role=Role.MEMBER, user__email="b@x.test")
    url = reverse("tenants:member_list", args=[organization.slug])

    by_role = owner_client.get(url + "?sort=role").context["memberships"]
    by_role_reversed = owner_client.get(url + "?sort=-role").context["memberships"]

    assert [m.pk for m in by_role][:1] == [owner.memberships.get().pk]
    assert [m.pk for m in by_role][1:] == [admin.pk, member.pk]
    assert [m.pk for m in by_role_reversed][0] == member.pk


def test_audit_log_sorts_newest_first_and_by_action(owner_client, organization):
    url = reverse("tenants:audit_log", args=[organization.slug])
    MembershipFactory(organization=organization)
    owner_client.post(reverse("tenants:org_role_list", args=[organization.slug]), {"name": "SRE"})
    newest_first = owner_client.get(url).context["page"].object_list
    by_action = owner_client.get(url + "?sort=action").context["page"].object_list
    assert [event.created_at for event in newest_first] == sorted(
        (event.created_at for event in newest_first), reverse=True
    )
    assert [event.action for event in by_action] == sorted(event.action for event in by_action)


def test_the_helper_only_orders_by_named_columns():
    request = RequestFactory().get("/?sort=-password&page=3")
    sorting = sorting_from_request(request, columns={"name": "name"}, default="-name")
    assert sorting.key == "name" and sorting.descending
    assert sorting.headers["name"].querystring == "sort=name"
    assert sorting.headers["name"].indicator == "▼"
