"""Access pages: every tab renders in a bounded number of queries with 5,000 accounts; bad
input is refused beside the field; foreign objects are 404."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.models import AccountIdentity, ManualAccount, RoleAllowance, ValidAccessMode
from access.reviews import review_start
from integrations.models import RemoteAccount
from tenants.models import StaffMember, StaffStatus
from tests.access.conftest import LAST_WORKING_DAY
from tests.access.factories import ManualSystemFactory
from tests.factories import OrganizationFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def tab_urls(organization, system):
    slug = organization.slug
    return [
        reverse(name, args=[slug, system.pk])
        for name in (
            "access:system_summary",
            "access:system_accounts",
            "access:system_offboarded",
            "access:system_reviews",
        )
    ] + [
        reverse("access:system_accounts", args=[slug, system.pk])
        + "?identification=not_identified&sort=-last_login",
        reverse("access:system_accounts", args=[slug, system.pk])
        + "?check_status=failing&q=person",
        reverse("access:system_accounts_csv", args=[slug, system.pk]),
        reverse("access:system_offboarded_csv", args=[slug, system.pk]),
        reverse("access:overview", args=[slug]),
    ]


def make_accounts(organization, connection, count, sre):
    staff = StaffMember.objects.bulk_create(
        StaffMember(
            organization=organization,
            name=f"Person {index}",
            email=f"person{index}@example.com",
            org_role=sre,
            status=StaffStatus.OFFBOARDED if index % 10 == 0 else StaffStatus.ACTIVE,
            last_working_day=LAST_WORKING_DAY if index % 10 == 0 else None,
        )
        for index in range(count)
    )
    RemoteAccount.objects.bulk_create(
        RemoteAccount(
            organization=organization,
            connection=connection,
            external_id=f"P{index:06d}",
            name=f"Person {index}",
            email=f"person{index}@example.com" if index % 7 else f"other{index}@example.net",
            role="admin" if index % 5 == 0 else "user",
        )
        for index in range(count)
    )
    return staff


def count_queries(client, url):
    with CaptureQueriesContext(database) as captured:
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.parametrize("count", [50])
def test_every_tab_is_a_bounded_number_of_queries_with_5000_accounts(
    admin_client, organization, connection, system, sre, evaluate, admin_user, count
):
    system.valid_access_mode = ValidAccessMode.ROLE_BASED
    system.save()
    RoleAllowance.objects.create(
        organization=organization, system=system, org_role=sre, max_role="user"
    )
    make_accounts(organization, connection, count, sre)
    review_start(system=system, acting_user=admin_user)
    evaluate()
    small = {url: count_queries(admin_client, url) for url in tab_urls(organization, system)}

    make_accounts_more = 5000 - count
    StaffMember.objects.filter(organization=organization).delete()
    RemoteAccount.objects.filter(organization=organization).delete()
    make_accounts(organization, connection, count + make_accounts_more, sre)
    evaluate()
    large = {url: count_queries(admin_client, url) for url in tab_urls(organization, system)}
    print({url.split(str(system.pk))[-1] or url: queries for url, queries in large.items()})
    for url, queries in large.items():
        assert queries <= small[url] + 2, (url, small[url], queries)
        assert queries <= 25, (url, queries)


def test_tabs_show_accounts_identification_and_offboarding(
    admin_client, organization, connection, system, sre, make_staff, make_account, evaluate
):
    make_staff(name="Ada Active", email="ada@example.com", org_role=sre)
    make_staff(
        name="Lee Leaver",
        email="lee@example.com",
        status=StaffStatus.OFFBOARDED,
        last_working_day=LAST_WORKING_DAY,
    )
    make_account(name="Ada", email="ada@example.com", role="admin")
    make_account(name="Lee", email="lee@example.com")
    make_account(name="Mystery", email="mystery@example.net")
    evaluate()
    slug = organization.slug
    page = admin_client.get(
        reverse("access:system_accounts", args=[slug, system.pk])
    ).content.decode()
    assert "Ada Active" in page and "Global Admin" in page and "Not identified" in page
    page = admin_client.get(
        reverse("access:system_offboarded", args=[slug, system.pk])
    ).content.decode()
    assert "Lee Leaver" in page and "Active" in page
    page = admin_client.get(
        reverse("access:system_summary", args=[slug, system.pk])
    ).content.decode()
    assert "User should be identified" in page


def test_configure_refuses_unknown_pagerduty_role_and_bad_numbers_beside_the_field(
    admin_client, organization, system, sre
):
    url = reverse("access:system_configure", args=[organization.slug, system.pk])
    response = admin_client.post(
        url,
        {
            "mode": ValidAccessMode.ROLE_BASED,
            f"role_{sre.pk}": "on",
            f"max_role_{sre.pk}": "superuser",
            "grace_days": "2.5",
            "review_period_months": "99",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert f"max_role_{sre.pk}" in form.errors
    assert "grace_days" in form.errors and "review_period_months" in form.errors
    assert not RoleAllowance.objects.exists()


def test_configure_refuses_an_unknown_org_role(admin_client, organization, system):
    other = StaffMemberFactory()  # noqa: F841 (another org's data)
    url = reverse("access:system_configure", args=[organization.slug, system.pk])
    response = admin_client.post(
        url,
        {
            "mode": ValidAccessMode.ROLE_BASED,
            "role_987654": "on",
            "grace_days": 0,
            "review_period_months": 12,
        },
    )
    assert response.status_code == 400
    assert "mode" in response.context["form"].errors  # no known org role was ticked


def test_configure_role_based_then_all_staff(admin_client, organization, system, sre):
    url = reverse("access:system_configure", args=[organization.slug, system.pk])
    response = admin_client.post(
        url,
        {
            "mode": "role_based",
            f"role_{sre.pk}": "on",
            f"max_role_{sre.pk}": "user",
            "grace_days": 3,
            "review_period_months": 6,
        },
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert (system.valid_access_mode, system.grace_days, system.review_period_months) == (
        "role_based",
        3,
        6,
    )
    assert list(RoleAllowance.objects.values_list("org_role__name", "max_role")) == [
        ("SRE", "user")
    ]


def test_manual_system_csv_reports_every_bad_row_and_imports_nothing(admin_client, organization):
    system = ManualSystemFactory(organization=organization, name="GitHub")
    url = reverse("access:system_import", args=[organization.slug, system.pk])
    content = b"email,name,role\nok@example.com,Ok,admin\nnot-an-email,Bad,member\n,Empty,\nok@example.com,Dup,member\n"
    response = admin_client.post(url, {"file": SimpleUploadedFile("accounts.csv", content)})
    assert response.status_code == 400
    lines = [line for line, _ in response.context["result"].errors]
    assert lines == [3, 4, 5]
    assert not ManualAccount.objects.exists()

    good = b"email,name,role\nOk@Example.com,Ok,admin\nada@example.com,Ada,member\n"
    response = admin_client.post(url, {"file": SimpleUploadedFile("accounts.csv", good)})
    assert response.status_code == 302
    assert sorted(ManualAccount.objects.values_list("email", flat=True)) == [
        "ada@example.com",
        "ok@example.com",
    ]


def test_mapping_to_another_orgs_staff_member_is_a_404(
    admin_client, organization, system, make_account
):
    account = make_account(email="who@example.net")
    foreign = StaffMemberFactory(organization=OrganizationFactory())
    url = reverse("access:account_detail", args=[organization.slug, account.pk])
    response = admin_client.post(url, {"action": "map", "staff_member": foreign.pk})
    assert response.status_code == 404
    assert not AccountIdentity.objects.exists()


def test_map_mark_and_undo_from_the_account_page(
    admin_client, organization, system, make_account, make_staff
):
    account = make_account(email="who@example.net")
    ada = make_staff(name="Ada")
    url = reverse("access:account_detail", args=[organization.slug, account.pk])
    assert admin_client.post(url, {"action": "map", "staff_member": ada.pk}).status_code == 302
    assert AccountIdentity.objects.get().staff_member == ada
    response = admin_client.post(
        url, {"action": "not_staff", "not_staff_kind": "service", "reason": ""}
    )
    assert response.status_code == 400
    response = admin_client.post(
        url, {"action": "not_staff", "not_staff_kind": "service", "reason": "CI bot"}
    )
    assert AccountIdentity.objects.get().kind == "not_staff"
    admin_client.post(url, {"action": "undo"})
    assert not AccountIdentity.objects.exists()


def test_members_see_tabs_but_cannot_map(member_client, organization, system, make_account):
    account = make_account(email="who@example.net")
    url = reverse("access:account_detail", args=[organization.slug, account.pk])
    assert member_client.get(url).status_code == 200
    assert member_client.post(url, {"action": "undo"}).status_code == 403
