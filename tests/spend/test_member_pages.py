"""The Members tab pages in every sort: each page holds the rows the sorted list has at that
place, with the same tier, status and staff match, and the staff match runs for the page's rows
only (never for the rows a deep page skips)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.models import AccountIdentity, CriticalSystem, IdentityKind, SystemKind
from integrations.models import Purpose, RemoteAccount
from integrations.pagerduty.sync.steps.usage import (
    FALLBACK_TIER_FULL_USER,
    FALLBACK_TIER_STAKEHOLDER,
    STAKEHOLDER_ROLES,
)
from spend import rules, selectors
from sprintolike.pagination import PAGE_SIZE
from tests.factories import (
    ConnectionFactory,
    RemoteAccountFactory,
    RemoteLicenseFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db

MEMBERS = 2 * PAGE_SIZE + 10  # three pages, the last one short
ROLES = ("user", "admin", "read_only_user", "limited_user", "owner")
SORTS = [(sort, order) for sort in selectors.MEMBER_SORTS for order in ("asc", "desc")]


@pytest.fixture
def members_service(organization, owner):
    """A PagerDuty service whose accounts tie on name, role, tier, last seen and status, so
    the order between pages depends on the tie-break too."""
    from spend.services import service_add_pagerduty

    connection = ConnectionFactory(organization=organization, purposes=[Purpose.SPEND])
    full = RemoteLicenseFactory(
        connection=connection, name="Business (Full User)", role_group="FullUser"
    )
    stakeholder = RemoteLicenseFactory(
        connection=connection, name="Business (Stakeholder)", role_group="Stakeholder"
    )
    base = timezone.now()
    for number in range(MEMBERS):
        on_call_unknown = number % 8 == 0
        RemoteAccountFactory(
            connection=connection,
            # Emails in another order than the primary keys.
            email=f"m{(number * 37) % MEMBERS:03d}@example.com",
            name=f"Name {number % 9}",
            role=ROLES[number % 5],
            license=(full, stakeholder, None, None)[number % 4],
            # Whole days plus six hours: no account sits on the inactivity boundary.
            last_sign_in_at=(
                None if number % 6 == 0 else base - timedelta(days=(number * 13) % 150, hours=6)
            ),
            invitation_pending=number % 10 == 3,
            on_schedule=None if on_call_unknown else number % 3 == 0,
            on_escalation_policy=None if on_call_unknown else number % 7 == 0,
            removed_at=base - timedelta(days=1) if number % 11 == 5 else None,
        )
    for number in range(0, MEMBERS, 5):
        StaffMemberFactory(
            organization=organization,
            name=f"Staff {number:03d}",
            email=f"m{(number * 37) % MEMBERS:03d}@example.com",
            status="offboarded" if number % 2 else "active",
        )
    return service_add_pagerduty(organization=organization, acting_user=owner)


@pytest.fixture(params=["email match", "critical system"])
def staff_matching(request, organization, members_service):
    """Both ways a Members row finds its staff member: the email match, or access
    management's identification (a mapping by hand and a "not a staff account" mark win)."""
    if request.param == "critical system":
        system = CriticalSystem.objects.create(
            organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
        )
        accounts = list(RemoteAccount.objects.filter(organization=organization).order_by("pk"))
        AccountIdentity.objects.create(
            organization=organization,
            system=system,
            account_key=accounts[0].external_id,
            kind=IdentityKind.NOT_STAFF,
            reason="Shared mailbox",
        )
        AccountIdentity.objects.create(
            organization=organization,
            system=system,
            account_key=accounts[1].external_id,
            kind=IdentityKind.MAPPED,
            staff_member=StaffMemberFactory(organization=organization, name="Mapped by hand"),
        )
    return request.param


def expected_tier(account: RemoteAccount) -> str:
    if account.license is not None:
        return account.license.name
    if account.role in {str(role) for role in STAKEHOLDER_ROLES}:
        return FALLBACK_TIER_STAKEHOLDER[0]
    return FALLBACK_TIER_FULL_USER[0]


def expected_status(account: RemoteAccount) -> str:
    facts = rules.MemberFacts(
        account_id=account.pk,
        tier_name="",
        role_group="",
        invitation_pending=account.invitation_pending,
        last_sign_in_at=account.last_sign_in_at,
        on_schedule=account.on_schedule,
        on_escalation_policy=account.on_escalation_policy,
        removed=account.removed_at is not None,
    )
    return rules.member_status(facts, now=timezone.now(), inactive_days=settings.INACTIVE_DAYS)


def expected_order(accounts: list[RemoteAccount], sort: str, descending: bool) -> list[int]:
    """The Members tab's order written out in Python: the column, then the primary key (both
    reversed when descending); last seen puts "never" first going up and last going down."""
    if sort == "last_seen":
        if descending:
            return [
                account.pk
                for account in sorted(
                    accounts,
                    key=lambda a: (
                        a.last_sign_in_at is None,
                        -a.last_sign_in_at.timestamp() if a.last_sign_in_at else 0,
                        a.pk,
                    ),
                )
            ]
        return [
            account.pk
            for account in sorted(
                accounts,
                key=lambda a: (a.last_sign_in_at is not None, a.last_sign_in_at or 0, a.pk),
            )
        ]
    column = {
        "email": lambda a: a.email,
        "name": lambda a: a.name,
        "role": lambda a: a.role,
        "tier": expected_tier,
        "status": expected_status,
    }[sort]
    ordered = sorted(accounts, key=lambda a: (column(a), a.pk))
    return [account.pk for account in (reversed(ordered) if descending else ordered)]


def members_page(client, organization, service, **params):
    url = reverse("spend:service_members", args=[organization.slug, service.pk])
    response = client.get(url, params)
    assert response.status_code == 200
    return response


def row_facts(account: RemoteAccount) -> tuple:
    return (
        account.pk,
        account.email,
        account.tier_name,
        account.member_status,
        account.staff_pk,
        account.staff_name,
        account.staff_status,
    )


@pytest.mark.parametrize(("sort", "order"), SORTS)
def test_every_sort_pages_through_the_sorted_list_with_the_same_rows(
    member_client, organization, members_service, staff_matching, sort, order
):
    accounts = list(
        RemoteAccount.objects.filter(connection=members_service.connection).select_related(
            "license"
        )
    )
    expected = expected_order(accounts, sort, order == "desc")
    # The same list in one query with every annotation (what the CSV export reads).
    reference = list(
        selectors.member_list(service=members_service, sort=sort, descending=order == "desc")
    )
    assert [account.pk for account in reference] == expected

    shown = []
    for number in (1, 2, 3):
        page = members_page(
            member_client, organization, members_service, sort=sort, order=order, page=number
        )
        rows = [row.account for row in page.context["rows"]]
        start = (number - 1) * PAGE_SIZE
        assert [row_facts(account) for account in rows] == [
            row_facts(account) for account in reference[start : start + PAGE_SIZE]
        ]
        shown += [account.pk for account in rows]
        content = page.content.decode()
        assert [content.index(account.email) for account in rows] == sorted(
            content.index(account.email) for account in rows
        )
    assert shown == expected


def test_a_page_matches_staff_as_the_single_query_does(
    member_client, organization, members_service, staff_matching
):
    rows = {
        row.account.email: row.account
        for number in (1, 2, 3)
        for row in members_page(member_client, organization, members_service, page=number).context[
            "rows"
        ]
    }
    assert len(rows) == MEMBERS
    first, second = RemoteAccount.objects.filter(organization=organization).order_by("pk")[:2]
    if staff_matching == "critical system":
        assert rows[first.email].staff_name is None  # marked "not a staff account"
        assert rows[second.email].staff_name == "Mapped by hand"
    else:
        assert rows[first.email].staff_name == "Staff 000"
        assert rows[second.email].staff_name is None
    assert rows["m074@example.com"].staff_name is None  # account 2: no staff with its email
    assert (rows["m075@example.com"].staff_name, rows["m075@example.com"].staff_status) == (
        "Staff 005",
        "offboarded",
    )


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "inactive", "sort": "last_seen", "order": "desc"},
        {"on_call": "no", "sort": "tier"},
        {"tier": "Full User", "sort": "status", "order": "desc"},
        {"q": "name 3", "sort": "role"},
    ],
)
def test_filtered_pages_hold_the_filtered_list(
    member_client, organization, members_service, filters
):
    reference = list(
        selectors.member_list(
            service=members_service,
            query=filters.get("q", ""),
            status=filters.get("status", ""),
            tier=filters.get("tier", ""),
            on_call=filters.get("on_call", ""),
            sort=filters["sort"],
            descending=filters.get("order") == "desc",
        )
    )
    assert reference
    shown = []
    for number in range(1, (len(reference) - 1) // PAGE_SIZE + 2):
        page = members_page(member_client, organization, members_service, page=number, **filters)
        shown += [row_facts(row.account) for row in page.context["rows"]]
    assert shown == [row_facts(account) for account in reference]


@pytest.mark.parametrize(("sort", "order"), SORTS)
def test_a_deep_page_matches_staff_for_its_own_rows_only(
    member_client,
    organization,
    members_service,
    sort,
    order,
    django_assert_max_num_queries,
):
    """OFFSET pages a lean query (ids in order); the staff match's subqueries read the page's
    rows by primary key, so a deep page costs what the first one does."""
    CriticalSystem.objects.create(
        organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
    )
    with (
        django_assert_max_num_queries(12),
        CaptureQueriesContext(connection) as captured,
    ):
        members_page(member_client, organization, members_service, sort=sort, order=order, page=3)
    staff_queries = [query["sql"] for query in captured if "access_accountidentity" in query["sql"]]
    assert staff_queries
    assert all("OFFSET" not in sql and " IN (" in sql for sql in staff_queries)
