"""Settings > Audit log: events read as sentences, filter, paginate and export to CSV."""

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tenants.audit import _REGISTRY as audit_registry_dict
from tenants.audit import audit_action, audit_entry, humanise
from tenants.models import AuditEvent, Role
from tenants.services import audit_event_record, membership_role_change
from tests.factories import MembershipFactory, OrganizationFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db


def audit_url(organization, query: str = "") -> str:
    return reverse("tenants:audit_log", args=[organization.slug]) + (f"?{query}" if query else "")


def export_url(organization, query: str = "") -> str:
    url = reverse("tenants:audit_log_export", args=[organization.slug])
    return url + (f"?{query}" if query else "")


def csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def event_at(organization, when: datetime, action: str = "staff.offboard", **kwargs) -> AuditEvent:
    event = audit_event_record(
        organization=organization,
        actor=kwargs.pop("actor", None),
        action=action,
        details=kwargs.pop("details", {"last_working_day": "2026-01-31"}),
        **kwargs,
    )
    AuditEvent.objects.filter(pk=event.pk).update(created_at=when)
    return event


def test_role_change_reads_as_a_sentence_with_the_member_as_target(
    owner_client, organization, owner
):
    membership = MembershipFactory(organization=organization, user__email="ann@x.test")
    membership_role_change(membership=membership, role=Role.ADMIN, acting_user=owner)

    body = owner_client.get(audit_url(organization)).content.decode()

    assert "Changed role of ann@x.test from Member to Admin" in body
    assert "{" not in body.split("<main")[1]
    assert "tenants.Membership" not in body


def test_staff_changes_name_the_person_not_their_id(admin_client, organization):
    admin_client.post(
        reverse("tenants:staff_create", args=[organization.slug]),
        {"name": "Grace Hopper", "email": "grace@x.test", "status": "active"},
    )
    entry = audit_entry(organization.audit_events.get(action="staff.create"))

    assert entry.summary.startswith("Added Grace Hopper <grace@x.test> to the staff directory")
    assert entry.target_name == "Grace Hopper"
    assert entry.target_kind == "Staff member"


def test_an_unregistered_action_falls_back_to_readable_pairs(organization):
    event = audit_event_record(
        organization=organization,
        actor=None,
        action="connection.sync_requested",
        details={
            "connection_id": 12,
            "full_resync": False,
            "sla_hours": {"high": 4, "low": 24},
            "services": ["Orders API", "Payments"],
            "note": None,
        },
    )
    entry = audit_entry(event)

    assert entry.summary == "Connection sync requested"
    assert entry.details == [
        ("Full resync", "no"),
        ("SLA hours", "High 4, Low 24"),
        ("Services", "Orders API, Payments"),
        ("Note", "—"),
    ]


def test_other_apps_register_their_own_sentences(organization, monkeypatch):
    monkeypatch.setattr("tenants.audit._REGISTRY", dict(audit_registry_dict))

    @audit_action("incident.data_loss_recorded", label="Data loss recorded")
    def describe(details, target):
        return f"Recorded data loss of {details['records']} records on {target}"

    event = audit_event_record(
        organization=organization,
        actor=None,
        action="incident.data_loss_recorded",
        details={"records": 200},
    )
    AuditEvent.objects.filter(pk=event.pk).update(target="#42 Orders not persisted")
    event.refresh_from_db()

    assert (
        audit_entry(event).summary
        == "Recorded data loss of 200 records on #42 Orders not persisted"
    )
    assert audit_entry(event).action_label == "Data loss recorded"


def test_a_registered_action_with_unexpected_details_still_renders(organization):
    event = audit_event_record(
        organization=organization, actor=None, action="membership.role_change", details={}
    )
    assert audit_entry(event).summary == "Member role changed"


def test_humanised_names_keep_acronyms():
    assert humanise("priority_sla_hours") == "Priority SLA hours"
    assert humanise("api_key") == "API key"


def test_filters_by_action_actor_system_and_date_range(owner_client, organization, owner):
    now = timezone.now()
    old = event_at(organization, now - timedelta(days=10))
    recent = event_at(organization, now - timedelta(days=1), actor=owner)
    other_action = event_at(
        organization, now - timedelta(days=1), action="org_role.create", actor=owner
    )
    day = (now - timedelta(days=2)).date().isoformat()

    def shown(query: str) -> set[int]:
        response = owner_client.get(audit_url(organization, query))
        assert response.status_code == 200
        return {entry.event.pk for entry in response.context["entries"]}

    assert shown("action=staff.offboard") == {old.pk, recent.pk}
    assert shown(f"actor={owner.pk}&action=staff.offboard") == {recent.pk}
    assert shown("actor=system") == {old.pk}
    assert shown(f"start={day}") >= {recent.pk, other_action.pk}
    assert old.pk not in shown(f"start={day}")
    assert shown(f"end={day}") == {old.pk}


def test_an_end_before_the_start_is_reported_beside_the_filters(owner_client, organization):
    response = owner_client.get(audit_url(organization, "start=2026-02-01&end=2026-01-01"))
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_the_log_is_paginated_in_a_bounded_number_of_queries(
    owner_client, organization, django_assert_max_num_queries
):
    for number in range(60):
        StaffMemberFactory(organization=organization)
        event_at(organization, timezone.now() - timedelta(minutes=number))

    with django_assert_max_num_queries(14):
        first = owner_client.get(audit_url(organization))
    second = owner_client.get(audit_url(organization, "page=2"))

    assert len(first.context["entries"]) == 50
    assert len(second.context["entries"]) >= 10
    assert "page=2" in first.content.decode()


def test_csv_export_is_streamed_org_scoped_and_filtered(owner_client, organization, owner):
    foreign = OrganizationFactory()
    event_at(foreign, timezone.now(), details={"last_working_day": "2026-03-03"})
    event_at(organization, timezone.now(), actor=owner)
    event_at(organization, timezone.now(), action="org_role.create", actor=owner)

    response = owner_client.get(export_url(organization, "action=staff.offboard"))

    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert f"audit-log-{organization.slug}.csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert [row["action"] for row in rows] == ["staff.offboard"]
    assert rows[0]["actor"] == owner.email
    assert rows[0]["summary"].startswith("Offboarded")
    assert "2026-03-03" not in "".join(rows[0].values())
    assert not organization.audit_events.filter(action__contains="export").exists()


def test_members_cannot_read_or_export_the_log(member_client, organization):
    assert member_client.get(audit_url(organization)).status_code == 403
    assert member_client.get(export_url(organization)).status_code == 403
