"""The access and spend endpoints: accounts with identification, critical systems and their
reviews, SaaS services with members and usage (as automation calls them, with Bearer tokens)."""

import pytest
from django.urls import reverse

from access.models import AccountIdentity, CriticalSystem, RoleAllowance
from access.selectors import system_summary
from spend.models import SaasService, ServiceTier
from spend.report import spend_report
from tests.access.factories import AccessReviewFactory, ManualAccountFactory, ManualSystemFactory
from tests.api.conftest import bearer
from tests.factories import RemoteAccountFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def url(name, organization, *args):
    return reverse(f"api:{name}", args=[organization.slug, *args])


def get(api, token, path, **params):
    return api.get(path, params, **bearer(token))


# --- Accounts --------------------------------------------------------------------------------


def test_accounts_show_identification_auto_by_hand_and_not_identified(
    api, organization, dataset, member_token
):
    body = get(api, member_token, url("access:account_list", organization)).json()
    by_email = {row["email"]: row for row in body["results"]}
    ada, grace = dataset["staff"]
    auto = by_email[ada.email]
    assert auto["identification"] == "auto"
    assert auto["identification_label"] == "Auto (email)"
    assert auto["staff_member"] == {"id": ada.pk, "name": ada.name, "status": "active"}
    assert auto["role"] == "admin" and auto["role_label"] == "Global Admin"
    assert auto["license"] == "Business (Full User)"
    assert auto["last_sign_in_at"] and auto["on_schedule"] is True
    assert auto["on_escalation_policy"] is False
    by_hand = by_email["gh@personal.example"]
    assert by_hand["identification"] == "manual"
    assert by_hand["staff_member"]["id"] == grace.pk
    assert by_email["bot@example.com"]["identification"] == "not_identified"
    assert by_email["bot@example.com"]["staff_member"] is None
    assert by_email["gone@example.com"]["removed_at"]


def test_accounts_without_pagerduty_as_critical_system_are_identified_by_email(
    api, organization, dataset, member_token
):
    CriticalSystem.objects.filter(pk=dataset["pagerduty_system"].pk).delete()
    body = get(api, member_token, url("access:account_list", organization)).json()
    by_email = {row["email"]: row for row in body["results"]}
    assert by_email[dataset["staff"][0].email]["identification"] == "auto"
    assert by_email[dataset["staff"][0].email]["staff_member"]["id"] == dataset["staff"][0].pk
    # The mapping by hand belonged to the system: the email alone does not match.
    assert by_email["gh@personal.example"]["identification"] == "not_identified"


@pytest.mark.parametrize(
    ("params", "emails"),
    [
        ({"identification": "manual"}, {"gh@personal.example"}),
        ({"identification": "not_identified"}, {"bot@example.com", "gone@example.com"}),
        ({"removed": "true"}, {"gone@example.com"}),
        ({"role": "observer"}, {"bot@example.com"}),
        ({"q": "HOPPER"}, {"gh@personal.example"}),
        ({"q": "bot@"}, {"bot@example.com"}),
    ],
)
def test_account_filters(api, organization, dataset, member_token, params, emails):
    body = get(api, member_token, url("access:account_list", organization), **params).json()
    assert {row["email"] for row in body["results"]} == emails


def test_account_filter_removed_false_lists_live_accounts(api, organization, dataset, member_token):
    body = get(api, member_token, url("access:account_list", organization), removed="false").json()
    assert "gone@example.com" not in {row["email"] for row in body["results"]}
    assert len(body["results"]) == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [("identification", "robot"), ("removed", "maybe"), ("role", "god"), ("q", "x" * 201)],
)
def test_invalid_account_filters_are_400_naming_the_field(
    api, organization, dataset, member_token, field, value
):
    response = get(api, member_token, url("access:account_list", organization), **{field: value})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_account_detail(api, organization, dataset, member_token):
    account = dataset["accounts"][1]
    body = get(api, member_token, url("access:account_detail", organization, account.pk)).json()
    assert body["pagerduty_id"] == account.external_id
    assert body["identification"] == "manual"


def test_account_list_runs_a_bounded_number_of_queries(
    api, organization, dataset, member_token, django_assert_max_num_queries
):
    path = url("access:account_list", organization)
    get(api, member_token, path)  # token's last use recorded
    with django_assert_max_num_queries(12) as few:
        get(api, member_token, path)
    for number in range(30):
        staff = StaffMemberFactory(organization=organization)
        RemoteAccountFactory(
            connection=dataset["connection"], email=staff.email if number % 2 else f"x{number}@x.io"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = get(api, member_token, path).json()
    assert len(body["results"]) == 34
    print(f"{path}: {len(few.captured_queries)} queries for 4 and for 34 rows")


# --- Critical systems and reviews ------------------------------------------------------------


def test_critical_systems_with_settings_and_summary_counts(
    api, organization, dataset, member_token
):
    body = get(api, member_token, url("access:critical_system_list", organization)).json()
    by_name = {row["name"]: row for row in body["results"]}
    assert set(by_name) == {"PagerDuty", "AWS"}
    pagerduty = by_name["PagerDuty"]
    assert pagerduty["kind"] == "pagerduty"
    assert pagerduty["valid_access_type"] == "all_staff"
    assert pagerduty["grace_days"] == 0 and pagerduty["review_period_months"] == 12
    assert pagerduty["counts"] == {
        "accounts": 3,
        "identified": 2,
        "not_identified": 1,
        "not_staff": 0,
        "invalid": 0,
        "offboarded_with_access": 0,
    }
    detail = get(
        api,
        member_token,
        url("access:critical_system_detail", organization, dataset["pagerduty_system"].pk),
    ).json()
    assert detail == pagerduty


def test_critical_system_counts_are_the_summary_tabs_for_every_kind_of_account(
    api, organization, dataset, member_token
):
    ada, grace = dataset["staff"]  # Ada holds the SRE org role, Grace none
    leaver = StaffMemberFactory(organization=organization, status="offboarded")
    system = ManualSystemFactory(organization=organization, valid_access_mode="role_based")
    RoleAllowance.objects.create(organization=organization, system=system, org_role=ada.org_role)
    for email in (ada.email, grace.email, leaver.email, "contractor@example.com", "x@example.com"):
        ManualAccountFactory(system=system, email=email)
    AccountIdentity.objects.create(
        organization=organization,
        system=system,
        account_key="contractor@example.com",
        kind="not_staff",
    )

    body = get(api, member_token, url("access:critical_system_list", organization)).json()

    counts = {row["id"]: row["counts"] for row in body["results"]}
    assert counts[system.pk] == {
        "accounts": 5,
        "identified": 3,
        "not_identified": 1,
        "not_staff": 1,
        "invalid": 1,  # Grace: no org role allowed on this system
        "offboarded_with_access": 1,
    }
    for critical_system in CriticalSystem.objects.filter(organization=organization):
        summary = system_summary(system=critical_system)
        assert counts[critical_system.pk] == {
            "accounts": summary.accounts,
            "identified": summary.identified,
            "not_identified": summary.not_identified,
            "not_staff": summary.not_staff,
            "invalid": summary.invalid,
            "offboarded_with_access": summary.offboarded_with_access,
        }


def test_critical_system_list_runs_a_bounded_number_of_queries(
    api, organization, dataset, member_token, django_assert_max_num_queries
):
    path = url("access:critical_system_list", organization)
    org_role = dataset["org_role"]
    aws = dataset["manual_system"]
    CriticalSystem.objects.filter(pk=aws.pk).update(valid_access_mode="role_based")
    RoleAllowance.objects.create(organization=organization, system=aws, org_role=org_role)
    get(api, member_token, path)  # token's last use recorded
    with django_assert_max_num_queries(12) as few:
        get(api, member_token, path)
    for number in range(18):
        system = ManualSystemFactory(
            organization=organization,
            valid_access_mode="role_based" if number % 2 else "all_staff",
        )
        if number % 2:
            RoleAllowance.objects.create(
                organization=organization, system=system, org_role=org_role
            )
        ManualAccountFactory(system=system, email=dataset["staff"][number % 2].email)
        ManualAccountFactory(system=system)
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = get(api, member_token, path).json()
    assert len(body["results"]) == 20
    print(f"{path}: {len(few.captured_queries)} queries for 2 and for 20 rows")


def test_access_reviews_of_a_system_and_a_review_with_its_items(
    api, organization, dataset, member_token
):
    system, review = dataset["manual_system"], dataset["review"]
    body = get(api, member_token, url("access:access_review_list", organization, system.pk)).json()
    [row] = body["results"]
    assert row["id"] == review.pk and row["status"] == "open"
    assert row["counts"] == {"accounts": 2, "decided": 2, "follow_ups_open": 1}
    detail = get(
        api,
        member_token,
        url("access:access_review_detail", organization, system.pk, review.pk),
    ).json()
    assert detail["counts"]["follow_ups_open"] == 1 and detail["counts"]["new"] == 0
    items = {item["email"]: item for item in detail["items"]}
    ada = dataset["staff"][0]
    assert items[ada.email]["decision"] == "keep"
    assert items[ada.email]["staff_member_id"] == ada.pk
    assert items["old@example.com"]["decision"] == "revoke"
    assert items["old@example.com"]["follow_up"] == "open"


def test_a_review_of_another_system_is_404_under_this_system(
    api, organization, dataset, member_token
):
    other = AccessReviewFactory(system=dataset["pagerduty_system"])
    path = url("access:access_review_detail", organization, dataset["manual_system"].pk, other.pk)
    assert get(api, member_token, path).status_code == 404
    missing = url("access:access_review_list", organization, 987654)
    assert get(api, member_token, missing).status_code == 404


# --- SaaS services ---------------------------------------------------------------------------


def test_saas_services_have_the_figures_of_spend_report(api, organization, dataset, member_token):
    body = get(api, member_token, url("spend:saas_service_list", organization)).json()
    report = {
        service["name"]: service for service in spend_report(organization=organization)["services"]
    }
    assert len(body["results"]) == 2
    for row in body["results"]:
        expected = report[row["name"]]
        for key in ("integrated", "currency", "tiers", "monthly_spend_cents", "members"):
            assert row[key] == expected[key], key
    pagerduty = next(row for row in body["results"] if row["integrated"])
    assert pagerduty["tiers"][0]["seats_used"] == 1  # Ada's license; others fall back
    assert pagerduty["tiers"][0]["seats_bought"] == 10
    slack = next(row for row in body["results"] if not row["integrated"])
    assert slack["monthly_spend_cents"] == 12 * 800


def test_members_are_the_members_tab_rows_with_filters(api, organization, dataset, member_token):
    service = dataset["saas_service"]
    path = url("spend:saas_service_members", organization, service.pk)
    body = get(api, member_token, path).json()
    assert len(body["results"]) == 4
    ada = next(row for row in body["results"] if row["email"] == dataset["staff"][0].email)
    assert ada["status"] == "active" and ada["tier"] == "Business (Full User)"
    assert ada["on_call_text"] == "Schedule"
    assert ada["staff_member"]["id"] == dataset["staff"][0].pk
    by_hand = next(row for row in body["results"] if row["email"] == "gh@personal.example")
    assert by_hand["staff_member"]["id"] == dataset["staff"][1].pk  # access's mapping wins
    assert {
        row["email"] for row in get(api, member_token, path, status="removed").json()["results"]
    } == {"gone@example.com"}
    assert [
        row["email"] for row in get(api, member_token, path, on_call="yes").json()["results"]
    ] == [dataset["staff"][0].email]
    assert [row["email"] for row in get(api, member_token, path, q="bot").json()["results"]] == [
        "bot@example.com"
    ]
    tier = get(api, member_token, path, tier="Business (Full User)").json()["results"]
    assert [row["email"] for row in tier] == [dataset["staff"][0].email]


@pytest.mark.parametrize(("field", "value"), [("status", "sleeping"), ("on_call", "maybe")])
def test_invalid_member_filters_are_400_naming_the_field(
    api, organization, dataset, member_token, field, value
):
    path = url("spend:saas_service_members", organization, dataset["saas_service"].pk)
    response = get(api, member_token, path, **{field: value})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_saas_service_list_runs_a_bounded_number_of_queries(
    api, organization, dataset, member_token, django_assert_max_num_queries
):
    path = url("spend:saas_service_list", organization)
    get(api, member_token, path)  # token's last use recorded
    with django_assert_max_num_queries(12) as few:
        get(api, member_token, path)
    for number in range(18):
        service = SaasService.objects.create(organization=organization, name=f"Tool {number}")
        for position, name in enumerate(("Basic", "Pro")):
            ServiceTier.objects.create(
                organization=organization,
                service=service,
                name=name,
                position=position,
                price_per_seat_cents=500 * (position + 1),
                seats_used_manual=number,
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = get(api, member_token, path).json()
    assert len(body["results"]) == 20
    print(f"{path}: {len(few.captured_queries)} queries for 2 and for 20 rows")


def test_members_of_a_service_kept_by_hand_are_empty(api, organization, dataset, member_token):
    path = url("spend:saas_service_members", organization, dataset["manual_service"].pk)
    assert get(api, member_token, path).json() == {"next": None, "results": []}


def test_member_list_runs_a_bounded_number_of_queries(
    api, organization, dataset, member_token, django_assert_max_num_queries
):
    path = url("spend:saas_service_members", organization, dataset["saas_service"].pk)
    get(api, member_token, path)
    with django_assert_max_num_queries(12) as few:
        get(api, member_token, path)
    for _ in range(30):
        RemoteAccountFactory(connection=dataset["connection"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = get(api, member_token, path).json()
    assert len(body["results"]) == 34
    print(f"{path}: {len(few.captured_queries)} queries for 4 and for 34 rows")


def test_usage_rows_per_month_with_nulls_as_in_spend_report(
    api, organization, dataset, member_token
):
    path = url("spend:saas_service_usage", organization, dataset["saas_service"].pk)
    body = get(api, member_token, path).json()
    [report] = [
        service
        for service in spend_report(organization=organization)["services"]
        if service["integrated"]
    ]
    assert body["results"] == report["usage"]
    assert body["results"][0] == {
        "month": "2026-01",
        "incidents": 3,
        "alerts": 10,
        "billable_alerts": 0,
        "notifications": None,
        "peak_seats": 4,
    }
    assert [
        row["month"] for row in get(api, member_token, path, page_size=2).json()["results"]
    ] == [
        "2026-01",
        "2026-02",
    ]
