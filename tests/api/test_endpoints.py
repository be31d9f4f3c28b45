"""What each endpoint returns and changes, called as automation would (Bearer tokens)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from checks.models import CheckResult, CheckStatus, SpecialCase
from checks.registry import check_list
from checks.report import check_report
from incidents.models import DataLossReview
from integrations.models import Connection
from tenants.models import AuditEvent, StaffMember, StaffStatus
from tests.api.conftest import CHECK_CODE, bearer

pytestmark = pytest.mark.django_db


def url(name, organization, *args):
    return reverse(f"api:{name}", args=[organization.slug, *args])


# --- Checks ------------------------------------------------------------------------------------


def test_checks_list_every_check_with_status_counts_and_evaluation_time(
    api, organization, dataset, member_token
):
    body = api.get(url("checks:check_list", organization), **bearer(member_token)).json()
    assert [row["code"] for row in body["results"]] == [check.code for check in check_list()]
    closed = next(row for row in body["results"] if row["code"] == CHECK_CODE)
    assert closed["status"] == CheckStatus.FAILING
    assert closed["counts"] == {"passing": 1, "due": 1, "failing": 1, "special_cases": 0}
    assert closed["evaluated_at"]
    assert body["next"] is None


def test_check_entities_have_the_fields_of_evaluate_checks_json(
    api, organization, dataset, member_token
):
    response = api.get(
        url("checks:check_entity_list", organization, CHECK_CODE) + "?status=failing",
        **bearer(member_token),
    )
    [entity] = response.json()["results"]
    report = check_report(organization=organization, checks=check_list())
    [reported] = next(c for c in report["checks"] if c["code"] == CHECK_CODE)["failing"]
    assert {key: entity[key] for key in reported} == {
        **reported,
        "deadline": entity["deadline"],
    }
    assert entity["deadline"].replace("Z", "+00:00")[:19] == reported["deadline"][:19]
    assert entity["status"] == "failing"
    assert entity["entity_id"] == dataset["incidents"][1].pk


def test_unknown_check_is_404_and_a_bad_status_filter_is_400_naming_it(
    api, organization, dataset, member_token
):
    missing = api.get(url("checks:check_entity_list", organization, "nope"), **bearer(member_token))
    assert missing.status_code == 404
    bad = api.get(
        url("checks:check_entity_list", organization, CHECK_CODE) + "?status=broken",
        **bearer(member_token),
    )
    assert bad.status_code == 400
    assert list(bad.json()["error"]["fields"]) == ["status"]


def test_admin_token_marks_a_failing_incident_a_special_case_and_withdraws_it(
    api, organization, dataset, admin_token
):
    late = dataset["incidents"][1]
    response = api.post(
        url("checks:special_case_list", organization),
        {"check_code": CHECK_CODE, "entity_id": late.pk, "reason": "Test incident"},
        format="json",
        **bearer(admin_token),
    )
    assert response.status_code == 201, response.content
    special_case = SpecialCase.objects.get(pk=response.json()["id"])
    assert response.json()["state"] == "active"
    result = CheckResult.objects.get(
        organization=organization, check_code=CHECK_CODE, entity_id=late.pk
    )
    assert result.status == CheckStatus.PASSING
    assert AuditEvent.objects.filter(action="special_case.create", actor=None).exists()

    again = api.post(
        url("checks:special_case_list", organization),
        {"check_code": CHECK_CODE, "entity_id": late.pk, "reason": "Twice"},
        format="json",
        **bearer(admin_token),
    )
    assert again.status_code == 400
    assert "already" in again.json()["error"]["message"]

    withdraw = url("checks:special_case_withdraw", organization, special_case.pk)
    assert api.post(withdraw, **bearer(admin_token)).json()["state"] == "withdrawn"
    conflict = api.post(withdraw, **bearer(admin_token))
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "conflict"


# --- Incidents ---------------------------------------------------------------------------------


def test_incidents_newest_first_with_checks_and_data_loss(api, organization, dataset, member_token):
    body = api.get(url("incidents:incident_list", organization), **bearer(member_token)).json()
    assert [row["id"] for row in body["results"]] == [
        dataset["incidents"][0].pk,
        dataset["incidents"][2].pk,
        dataset["incidents"][1].pk,
    ]
    resolved = body["results"][1]
    assert resolved["data_loss"]["answer"] == ""
    assert resolved["data_loss"]["flags"]
    assert resolved["service"] == {"id": dataset["service"].pk, "name": "Checkout API"}
    assert {check["code"] for check in resolved["checks"]} >= {CHECK_CODE}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=resolved", [2]),
        ("check_status=failing", [2, 1]),  # data loss not recorded; past its SLA
        ("check_status=due", [0]),
        ("data_loss=to_review", [2]),
        ("data_loss=yes", []),
    ],
)
def test_incident_filters(api, organization, dataset, member_token, query, expected):
    body = api.get(
        url("incidents:incident_list", organization) + f"?{query}", **bearer(member_token)
    ).json()
    assert [row["id"] for row in body["results"]] == [dataset["incidents"][i].pk for i in expected]


def test_incident_created_range_and_source_filters(api, organization, dataset, member_token):
    today = timezone.localdate()
    query = f"?created_from={today - timedelta(days=3)}&created_to={today}&source={dataset['service'].pk}"
    body = api.get(
        url("incidents:incident_list", organization) + query, **bearer(member_token)
    ).json()
    assert {row["id"] for row in body["results"]} == {
        dataset["incidents"][0].pk,
        dataset["incidents"][2].pk,
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=exploded", "status"),
        ("created_from=yesterday", "created_from"),
        ("created_from=2026-02-02&created_to=2026-01-01", "created_to"),
        ("check_status=maybe", "check_status"),
        ("data_loss=perhaps", "data_loss"),
        ("source=abc", "source"),
        ("page_size=0", "page_size"),
        ("cursor=garbage", "cursor"),
    ],
)
def test_invalid_incident_filters_are_400_naming_the_field(
    api, organization, dataset, member_token, query, field
):
    response = api.get(
        url("incidents:incident_list", organization) + f"?{query}", **bearer(member_token)
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == [field]


def test_incident_detail_has_sla_history_and_review(api, organization, dataset, member_token):
    incident = dataset["incidents"][1]
    body = api.get(
        url("incidents:incident_detail", organization, incident.pk), **bearer(member_token)
    ).json()
    assert body["id"] == incident.pk
    assert body["sla"]["hours"] == 24 and body["sla"]["late"] is True
    assert body["in_scope"] is True
    assert body["data_loss_review"] is None


def test_admin_token_records_data_loss(api, organization, dataset, admin_token):
    incident = dataset["incidents"][2]
    response = api.post(
        url("incidents:incident_data_loss", organization, incident.pk),
        {
            "data_loss": "yes",
            "data_kinds": ["customer_personal_data"],
            "records_affected": 120,
            "stakeholders": ["customers"],
            "disclosures": {"customers": {"done": True, "disclosed_on": str(timezone.localdate())}},
        },
        format="json",
        **bearer(admin_token),
    )
    assert response.status_code == 200, response.content
    review = DataLossReview.objects.get(incident=incident)
    assert review.data_loss == "yes" and review.records_affected == 120
    assert response.json()["data_loss_review"]["disclosures"][0]["done"] is True
    assert AuditEvent.objects.filter(action="data_loss_review.update").exists()


def test_data_loss_rules_refusals_are_400(api, organization, dataset, admin_token):
    incident = dataset["incidents"][2]
    response = api.post(
        url("incidents:incident_data_loss", organization, incident.pk),
        {"data_loss": "yes", "disclosures": {"customers": {"done": True}}},
        format="json",
        **bearer(admin_token),
    )
    assert response.status_code == 400
    assert "date" in response.json()["error"]["message"]
    bad = api.post(
        url("incidents:incident_data_loss", organization, incident.pk),
        {"data_loss": "maybe"},
        format="json",
        **bearer(admin_token),
    )
    assert list(bad.json()["error"]["fields"]) == ["data_loss"]


# --- Staff -------------------------------------------------------------------------------------


def test_staff_list_filters(api, organization, dataset, member_token):
    body = api.get(
        url("tenants:staff_list", organization) + "?org_role=sre", **bearer(member_token)
    ).json()
    assert [row["name"] for row in body["results"]] == ["Ada Lovelace"]
    assert body["results"][0]["org_role"] == "SRE"


def test_admin_token_creates_updates_and_offboards_staff(api, organization, dataset, admin_token):
    created = api.post(
        url("tenants:staff_list", organization),
        {"name": "Alan Turing", "email": "Alan@Example.com", "org_role": "SRE"},
        format="json",
        **bearer(admin_token),
    )
    assert created.status_code == 201, created.content
    staff_id = created.json()["id"]
    assert created.json()["email"] == "alan@example.com"
    duplicate = api.post(
        url("tenants:staff_list", organization),
        {"name": "Alan again", "email": "alan@example.com"},
        format="json",
        **bearer(admin_token),
    )
    assert list(duplicate.json()["error"]["fields"]) == ["email"]
    unknown_role = api.post(
        url("tenants:staff_list", organization),
        {"name": "X", "email": "x@example.com", "org_role": "Pilot"},
        format="json",
        **bearer(admin_token),
    )
    assert list(unknown_role.json()["error"]["fields"]) == ["org_role"]

    updated = api.patch(
        url("tenants:staff_detail", organization, staff_id),
        {"name": "Alan M. Turing", "start_date": "2026-01-05"},
        format="json",
        **bearer(admin_token),
    )
    assert updated.json()["name"] == "Alan M. Turing" and updated.json()["org_role"] == "SRE"

    too_early = api.post(
        url("tenants:staff_offboard", organization, staff_id),
        {"last_working_day": "2025-12-31"},
        format="json",
        **bearer(admin_token),
    )
    assert list(too_early.json()["error"]["fields"]) == ["last_working_day"]
    offboarded = api.post(
        url("tenants:staff_offboard", organization, staff_id),
        {"last_working_day": "2026-02-27"},
        format="json",
        **bearer(admin_token),
    )
    assert offboarded.json()["status"] == StaffStatus.OFFBOARDED
    assert StaffMember.objects.get(pk=staff_id).last_working_day.isoformat() == "2026-02-27"
    assert list(
        AuditEvent.objects.filter(target_id=str(staff_id))
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["staff.create", "staff.update", "staff.offboard"]
    event = AuditEvent.objects.get(target_id=str(staff_id), action="staff.offboard")
    assert event.actor is None
    assert event.details["api_token"]["last_four"] == admin_token[-4:]
    from tenants.audit import audit_entry

    assert audit_entry(event).actor_label.startswith("API token “")


# --- Connections and syncs ---------------------------------------------------------------------


def test_connections_and_sync_runs(api, organization, dataset, member_token):
    connections = api.get(
        url("integrations:connection_list", organization), **bearer(member_token)
    ).json()
    assert [row["id"] for row in connections["results"]] == [dataset["connection"].pk]
    assert connections["results"][0]["status"] == "connected"
    runs = api.get(
        url("integrations:sync_run_list", organization) + f"?connection={dataset['connection'].pk}",
        **bearer(member_token),
    ).json()
    assert [row["id"] for row in runs["results"]] == [dataset["sync_run"].pk]


def test_sync_now_is_202_then_409_while_one_runs(api, organization, dataset, admin_token):
    connection = dataset["connection"]
    path = url("integrations:connection_sync", organization, connection.pk)
    with mock.patch("integrations.services.enqueue_task") as enqueue:
        response = api.post(path, **bearer(admin_token))
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert enqueue.call_count == 1
    Connection.objects.filter(pk=connection.pk).update(
        sync_lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    running = api.post(path, **bearer(admin_token))
    assert running.status_code == 409
    assert running.json()["error"]["code"] == "conflict"


def test_unknown_api_paths_are_json_404s(api, organization, member_token):
    response = api.get(f"/api/v1/orgs/{organization.slug}/nothing-here/", **bearer(member_token))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_incident_list_runs_a_bounded_number_of_queries(
    api, organization, dataset, member_token, django_assert_max_num_queries
):
    from tests.factories import RemoteIncidentFactory

    path = url("incidents:incident_list", organization)
    api.get(path, **bearer(member_token))  # token's last use recorded
    with django_assert_max_num_queries(12) as few:
        api.get(path, **bearer(member_token))
    for _ in range(30):
        RemoteIncidentFactory(connection=dataset["connection"], service=dataset["service"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = api.get(path, **bearer(member_token)).json()
    assert len(body["results"]) == 33
