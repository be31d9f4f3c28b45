"""The staff member page shows the person's access in one place: their accounts in PagerDuty
and in every system kept by hand, with the system, identification and check status, linking
to each account's page; in a bounded number of queries whatever the number of systems."""

import pytest
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access import services
from access.models import NotStaffKind
from access.selectors import staff_access
from tenants.models import StaffAlternateEmail, StaffStatus
from tests.access.conftest import LAST_WORKING_DAY, NOW
from tests.access.factories import ManualAccountFactory, ManualSystemFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def staff_url(organization, member):
    return reverse("access:staff_detail", args=[organization.slug, member.pk])


@pytest.fixture
def ada(make_staff):
    member = make_staff(name="Ada Lovelace", email="ada@example.com")
    StaffAlternateEmail.objects.create(
        organization=member.organization, staff_member=member, email="ada@old.example.com"
    )
    return member


def add_manual_systems(organization, count, *, accounts_each=5, first=0):
    """`count` systems kept by hand, each with other people's accounts."""
    systems = []
    for index in range(first, first + count):
        system = ManualSystemFactory(organization=organization, name=f"Console {index:02d}")
        for number in range(accounts_each):
            ManualAccountFactory(system=system, email=f"other{index}-{number}@example.com")
        systems.append(system)
    return systems


def test_lists_accounts_of_every_critical_system_with_identification_and_check_status(
    admin_client, organization, system, ada, make_staff, make_account, evaluate
):
    github = ManualSystemFactory(organization=organization, name="GitHub")
    aws = ManualSystemFactory(organization=organization, name="AWS console")
    vault = ManualSystemFactory(organization=organization, name="Vault")
    pagerduty_account = make_account(email="ada@example.com", role="admin")
    by_email = ManualAccountFactory(system=github, email="ada@example.com", role="maintainer")
    by_alternate = ManualAccountFactory(system=aws, email="ada@old.example.com", role="admin")
    by_hand = ManualAccountFactory(system=vault, email="al@contractor.example", role="reader")
    services.account_map(
        system=vault, account_key=by_hand.email, staff_member=ada, acting_user=None
    )
    # Not hers: somebody else's, hers by email but marked not a staff account in that system,
    # and hers by email in one system but mapped to somebody else in another.
    bob = make_staff(name="Bob", email="bob@example.com")
    ManualAccountFactory(system=github, email="bob@example.com")
    marked = ManualAccountFactory(system=vault, email="ada@example.com")
    services.account_mark_not_staff(
        system=vault,
        account_key=marked.email,
        not_staff_kind=NotStaffKind.SHARED,
        reason="Team mailbox",
        expires_on=None,
        acting_user=None,
    )
    mapped_away = ManualAccountFactory(system=aws, email="ada@example.com")
    services.account_map(
        system=aws, account_key=mapped_away.email, staff_member=bob, acting_user=None
    )
    evaluate()

    response = admin_client.get(staff_url(organization, ada))

    rows = response.context["access"].rows
    assert [(row.system.name, row.account.email, row.identification.value) for row in rows] == [
        ("PagerDuty", "ada@example.com", "auto"),
        ("AWS console", "ada@old.example.com", "auto"),
        ("GitHub", "ada@example.com", "auto"),
        ("Vault", "al@contractor.example", "manual"),
    ]
    assert all(row.account.check_status == "passing" for row in rows)
    content = response.content.decode()
    slug = organization.slug
    assert reverse("access:account_detail", args=[slug, pagerduty_account.pk]) in content
    for account in (by_email, by_alternate, by_hand):
        url = reverse("access:manual_account_detail", args=[slug, account.system_id, account.pk])
        assert url in content
    for name in ("GitHub", "AWS console", "Vault"):
        assert name in content
    assert "maintainer" in content and "Global Admin" in content


def test_a_leavers_account_mapped_by_hand_is_listed_and_an_unknown_account_is_not(
    member_client, organization, make_staff, evaluate
):
    leaver = make_staff(
        name="Lee",
        email="lee@example.com",
        status=StaffStatus.OFFBOARDED,
        last_working_day=LAST_WORKING_DAY,
    )
    github = ManualSystemFactory(organization=organization, name="GitHub")
    ManualAccountFactory(system=github, email="stranger@example.com")
    services.account_map(
        system=github, account_key="stranger@example.com", staff_member=leaver, acting_user=None
    )
    unknown = ManualAccountFactory(system=github, email="nobody@example.com")
    evaluate(now=NOW)

    rows = member_client.get(staff_url(organization, leaver)).context["access"].rows

    assert [(row.account.email, row.identification.value) for row in rows] == [
        ("stranger@example.com", "manual")
    ]
    assert rows[0].account.check_status == "passing"  # identified; validity is out of scope
    assert unknown.email not in member_client.get(staff_url(organization, leaver)).content.decode()


def test_without_any_critical_system_the_page_says_how_to_add_one(member_client, organization, ada):
    content = member_client.get(staff_url(organization, ada)).content.decode()
    assert "No critical system yet" in content


def test_with_systems_but_no_account_the_page_says_so(member_client, organization, ada):
    ManualSystemFactory(organization=organization, name="GitHub")
    content = member_client.get(staff_url(organization, ada)).content.decode()
    assert "No account in a critical system belongs to Ada Lovelace." in content


def test_the_page_runs_the_same_queries_with_one_system_or_eight(
    admin_client, organization, system, ada, make_account, evaluate, django_assert_max_num_queries
):
    make_account(email="ada@example.com")
    first = add_manual_systems(organization, 1)[0]
    ManualAccountFactory(system=first, email="ada@example.com")
    evaluate()
    with CaptureQueriesContext(database) as one_system:
        admin_client.get(staff_url(organization, ada))

    for extra in add_manual_systems(organization, 7, accounts_each=20, first=1):
        ManualAccountFactory(system=extra, email="ada@old.example.com")
        services.account_map(
            system=extra, account_key="other-x@example.com", staff_member=ada, acting_user=None
        )
        ManualAccountFactory(system=extra, email="other-x@example.com")
    evaluate()

    with django_assert_max_num_queries(len(one_system)):
        response = admin_client.get(staff_url(organization, ada))
    with django_assert_max_num_queries(20):
        admin_client.get(staff_url(organization, ada))
    assert len(response.context["access"].rows) == 1 + 1 + 7 * 2


def test_selector_judges_each_account_under_its_own_systems_decisions(organization, ada):
    github = ManualSystemFactory(organization=organization, name="GitHub")
    vault = ManualSystemFactory(organization=organization, name="Vault")
    ManualAccountFactory(system=github, email="ada@example.com")
    ManualAccountFactory(system=vault, email="ada@example.com")
    services.account_mark_not_staff(
        system=github,
        account_key="ada@example.com",
        not_staff_kind=NotStaffKind.SERVICE,
        reason="CI bot",
        expires_on=None,
        acting_user=None,
    )

    rows = staff_access(organization=organization, staff_member=ada).rows

    assert [row.system.name for row in rows] == ["Vault"]


def test_the_staff_directory_links_each_person_to_their_access(admin_client, organization, ada):
    content = admin_client.get(
        reverse("tenants:staff_list", args=[organization.slug])
    ).content.decode()
    assert staff_url(organization, ada) in content
