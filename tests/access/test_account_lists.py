"""The Staff access tab pages on a lean query of ids and annotates only the page's rows; the
Summary tab counts with one aggregate; the offboarding tab and the staff page find a person's
accounts by joins. These tests pin that every sort and filter gives the same accounts in the
same order as the identification rule of `annotate_identity` (the ORM annotations), page after
page, and that each page stays a bounded number of queries."""

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db.models import Q
from django.urls import reverse

from access.accounts import resolved_accounts, system_accounts
from access.forms import SORTS
from access.models import AccountIdentity, IdentityKind, RoleAllowance, ValidAccessMode
from access.rules import Identification
from access.selectors import _with_check_status, access_policy, offboarded_staff, system_summary
from checks.models import CheckStatus
from integrations.models import RemoteAccount
from sprintolike.pagination import PAGE_SIZE
from tenants.models import StaffAlternateEmail, StaffMember, StaffStatus
from tests.access.conftest import LAST_WORKING_DAY, NOW
from tests.access.factories import ManualAccountFactory, ManualSystemFactory

pytestmark = pytest.mark.django_db

ACCOUNT_COUNT = PAGE_SIZE + 22
ROLES = ("admin", "user", "limited_user", "observer", "owner")


@pytest.fixture
def mixed_accounts(organization, connection, system, sre, support, admin_user, evaluate):
    """Accounts identified every way: by email, by alternate email, mapped by hand, marked
    not staff (and a mark past its expiry), not identified; staff active and offboarded, with
    and without an org role; roles, last logins (some never) and on-call facts varied; one
    removed account. Role-based valid access: SRE up to Responder, Support any role."""
    system.valid_access_mode = ValidAccessMode.ROLE_BASED
    system.save()
    RoleAllowance.objects.create(
        organization=organization, system=system, org_role=sre, max_role="user"
    )
    RoleAllowance.objects.create(
        organization=organization, system=system, org_role=support, max_role=""
    )
    staff = StaffMember.objects.bulk_create(
        StaffMember(
            organization=organization,
            name=f"Staff {(index * 11) % ACCOUNT_COUNT:03d}",
            email=f"staff{index}@example.com",
            org_role=(sre, support, None)[index % 3],
            status=StaffStatus.OFFBOARDED if index % 8 == 0 else StaffStatus.ACTIVE,
            last_working_day=LAST_WORKING_DAY if index % 8 == 0 else None,
        )
        for index in range(ACCOUNT_COUNT)
    )
    accounts = []
    for index in range(ACCOUNT_COUNT):
        kind = index % 6
        email = f"staff{index}@example.com" if kind in (0, 4) else f"account{index}@example.net"
        accounts.append(
            RemoteAccount(
                organization=organization,
                connection=connection,
                external_id=f"P{index:04d}",
                name=f"Account {(index * 37) % ACCOUNT_COUNT:03d}",
                email=email,
                role=ROLES[index % len(ROLES)],
                last_sign_in_at=None if index % 4 == 0 else NOW - timedelta(days=index % 9),
                on_schedule=(None, True, False)[index % 3],
                on_escalation_policy=(None, False, True, False)[index % 4],
                removed_at=NOW if index == ACCOUNT_COUNT - 1 else None,
            )
        )
    RemoteAccount.objects.bulk_create(accounts)
    for index in range(ACCOUNT_COUNT):
        kind = index % 6
        if kind == 1:
            StaffAlternateEmail.objects.create(
                organization=organization,
                staff_member=staff[index],
                email=f"account{index}@example.net",
            )
        elif kind == 2:
            AccountIdentity.objects.create(
                organization=organization,
                system=system,
                account_key=f"P{index:04d}",
                kind=IdentityKind.MAPPED,
                staff_member=staff[(index * 5) % ACCOUNT_COUNT],
            )
        elif kind in (3, 4):
            AccountIdentity.objects.create(
                organization=organization,
                system=system,
                account_key=f"P{index:04d}",
                kind=IdentityKind.NOT_STAFF,
                reason="Service account",
                expires_on=date(2020, 1, 1) if kind == 4 else None,
            )
    evaluate()
    return staff


def reference_ids(system, filters: dict) -> list[int]:
    """The accounts as the ORM annotations (`annotate_identity`) filter and sort them."""
    queryset = _with_check_status(system_accounts(system=system), system)
    for name in ("identification", "staff_status", "role", "check_status"):
        if filters.get(name):
            queryset = queryset.filter(**{name: filters[name]})
    if filters.get("q"):
        queryset = queryset.filter(
            Q(name__icontains=filters["q"]) | Q(email__icontains=filters["q"])
        )
    if filters.get("org_role"):
        queryset = queryset.filter(staff_org_role_id=filters["org_role"])
    if filters.get("license"):
        queryset = queryset.filter(license_id=filters["license"])
    if filters.get("on_call"):
        on_call = Q(on_schedule=True) | Q(on_escalation_policy=True)
        queryset = queryset.filter(on_call if filters["on_call"] == "yes" else ~on_call)
    order = SORTS[filters.get("sort", "name")]
    if not system.is_pagerduty and order.lstrip("-") == "last_sign_in_at":
        order = "name"
    return list(queryset.order_by(order, "pk").values_list("pk", flat=True))


def paged_ids(client, url: str, filters: dict, django_assert_max_num_queries) -> list[int]:
    """Every account the tab lists, page after page (each page a bounded number of queries)."""
    ids, number = [], 1
    while True:
        with django_assert_max_num_queries(16):
            response = client.get(url, {**filters, "page": number})
        assert response.status_code == 200
        ids += [row.account.pk for row in response.context["rows"]]
        if not response.context["page"].has_next():
            return ids
        number += 1


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_sort_lists_the_same_accounts_in_the_same_order_page_after_page(
    admin_client, organization, system, mixed_accounts, sort, django_assert_max_num_queries
):
    url = reverse("access:system_accounts", args=[organization.slug, system.pk])
    expected = reference_ids(system, {"sort": sort})
    assert len(expected) == ACCOUNT_COUNT - 1  # the removed account is not listed
    assert paged_ids(admin_client, url, {"sort": sort}, django_assert_max_num_queries) == expected


@pytest.mark.parametrize(
    "filters",
    [
        {"identification": Identification.AUTO, "sort": "staff"},
        {"identification": Identification.MANUAL, "sort": "-last_login"},
        {"identification": Identification.NOT_STAFF},
        {"identification": Identification.NOT_IDENTIFIED, "sort": "role"},
        {"staff_status": StaffStatus.OFFBOARDED, "sort": "identification"},
        {"staff_status": StaffStatus.ACTIVE, "sort": "-name"},
        {"check_status": CheckStatus.FAILING, "sort": "staff"},
        {"check_status": CheckStatus.PASSING, "sort": "last_login"},
        {"check_status": "not_evaluated"},
        {"role": "admin", "sort": "email"},
        {"on_call": "yes", "sort": "-last_login"},
        {"on_call": "no", "sort": "identification"},
        {"q": "ACCOUNT 0", "sort": "staff"},
        {"q": "example.net"},
        {"q": "100%_"},
    ],
    ids=lambda filters: "&".join(f"{key}={value}" for key, value in filters.items()),
)
def test_every_filter_lists_the_same_accounts_as_the_identification_rule(
    admin_client, organization, system, mixed_accounts, filters, django_assert_max_num_queries
):
    url = reverse("access:system_accounts", args=[organization.slug, system.pk])
    expected = reference_ids(system, filters)
    assert paged_ids(admin_client, url, filters, django_assert_max_num_queries) == expected


def test_org_role_filter_and_a_page_past_the_end(
    admin_client, organization, system, sre, mixed_accounts, django_assert_max_num_queries
):
    url = reverse("access:system_accounts", args=[organization.slug, system.pk])
    filters = {"org_role": sre.pk, "sort": "staff"}
    expected = reference_ids(system, filters)
    assert expected
    assert paged_ids(admin_client, url, filters, django_assert_max_num_queries) == expected
    last = admin_client.get(url, {"page": 999})  # the nearest valid page: the last one
    assert [row.account.pk for row in last.context["rows"]] == reference_ids(system, {})[PAGE_SIZE:]


def test_csv_export_lists_the_filtered_accounts_in_the_tab_order(
    admin_client, organization, system, mixed_accounts
):
    url = reverse("access:system_accounts_csv", args=[organization.slug, system.pk])
    response = admin_client.get(url, {"sort": "staff", "check_status": "failing"})
    lines = b"".join(response.streaming_content).decode().splitlines()
    ids = reference_ids(system, {"sort": "staff", "check_status": "failing"})
    external_ids = dict(RemoteAccount.objects.values_list("pk", "external_id"))
    assert [line.split(",")[0] for line in lines[1:]] == [external_ids[pk] for pk in ids]
    assert all(line.endswith(",failing") for line in lines[1:])


def test_summary_counts_agree_with_the_rules_account_by_account(system, mixed_accounts):
    policy = access_policy(system)
    accounts = list(resolved_accounts(system=system))
    summary = system_summary(system=system)
    identifications = [account.identification for account in accounts]
    verdicts = [policy.verdict(account, system) for account in accounts]
    assert summary.accounts == len(accounts) == ACCOUNT_COUNT - 1
    assert summary.identified == sum(
        item in (Identification.AUTO, Identification.MANUAL) for item in identifications
    )
    assert summary.not_identified == identifications.count(Identification.NOT_IDENTIFIED)
    assert summary.not_staff == identifications.count(Identification.NOT_STAFF)
    assert summary.invalid == sum(
        verdict is not None and verdict.status == CheckStatus.FAILING for verdict in verdicts
    )
    assert summary.invalid > 0 and summary.not_staff > 0 and summary.not_identified > 0
    assert summary.offboarded_with_access == len(
        {account.staff_id for account in accounts if account.staff_status == "offboarded"}
    )


def test_offboarded_tab_and_staff_page_find_every_account_of_a_person(
    admin_client,
    organization,
    system,
    mixed_accounts,
    frozen_clock,
    django_assert_max_num_queries,
):
    mine = defaultdict(set)
    for account in resolved_accounts(system=system, live_only=False, on=NOW.date()):
        if account.staff_id is not None:
            mine[account.staff_id].add(account.pk)
    url = reverse("access:system_offboarded", args=[organization.slug, system.pk])
    with django_assert_max_num_queries(14):
        response = admin_client.get(url)
    rows = response.context["rows"]
    assert len(rows) == offboarded_staff(organization=organization).count()
    for row in rows:
        found = {account.pk for account in row.live_accounts + row.removed_accounts}
        assert found == mine.get(row.staff_member.pk, set())
    assert any(row.live_accounts for row in rows)
    person = next(staff_id for staff_id, ids in mine.items() if len(ids) > 1)
    with django_assert_max_num_queries(16):
        page = admin_client.get(reverse("access:staff_detail", args=[organization.slug, person]))
    assert {row.account.pk for row in page.context["access"].rows} == mine[person]


def test_account_page_of_a_large_organisation_maps_by_typed_email_without_listing_staff(
    admin_client, organization, system, mixed_accounts, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr("access.forms.STAFF_SELECT_LIMIT", 10)
    account = RemoteAccount.objects.get(external_id="P0005")  # not identified
    alternate = StaffAlternateEmail.objects.first()
    url = reverse("access:account_detail", args=[organization.slug, account.pk])
    with django_assert_max_num_queries(16):
        page = admin_client.get(url).content.decode()
    assert '<select name="staff_member"' not in page
    assert '<input type="email" name="staff_member"' in page
    assert mixed_accounts[7].email not in page  # no list of the organisation's staff

    unknown = admin_client.post(url, {"action": "map", "staff_member": "nobody@example.com"})
    assert unknown.status_code == 400
    assert "No staff member has this email." in unknown.content.decode()
    mapped = admin_client.post(url, {"action": "map", "staff_member": alternate.email.upper()})
    assert mapped.status_code == 302
    identity = AccountIdentity.objects.get(system=system, account_key="P0005")
    assert identity.staff_member == alternate.staff_member


def test_account_page_of_a_small_organisation_offers_a_select_of_its_staff(
    admin_client, organization, system, make_staff, make_account
):
    ada = make_staff(name="Ada", email="ada@example.com")
    account = make_account(email="ada@example.com")
    url = reverse("access:account_detail", args=[organization.slug, account.pk])
    page = admin_client.get(url).content.decode()
    assert f'<option value="{ada.pk}" selected>Ada &lt;ada@example.com&gt;</option>' in page


def test_a_system_kept_by_hand_sorts_and_filters_the_same_way(
    admin_client, organization, sre, make_staff, django_assert_max_num_queries
):
    manual = ManualSystemFactory(organization=organization)
    for index in range(PAGE_SIZE + 5):
        if index % 3:
            make_staff(name=f"Staff {index % 7}", email=f"m{index}@example.com", org_role=sre)
        ManualAccountFactory(
            system=manual, email=f"m{index}@example.com", name=f"Manual {(index * 13) % 60:02d}"
        )
    url = reverse("access:system_accounts", args=[organization.slug, manual.pk])
    for filters in (
        {"sort": "last_login"},
        {"sort": "staff"},
        {"sort": "identification"},
        {"identification": Identification.NOT_IDENTIFIED, "sort": "-name"},
        {"org_role": sre.pk},
    ):
        expected = reference_ids(manual, filters)
        assert paged_ids(admin_client, url, filters, django_assert_max_num_queries) == expected
