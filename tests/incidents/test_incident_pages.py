"""Data Library > Incidents and the incident page: columns, filters, empty states, the SLA
deadline, the data-loss form and its evidence files, bounded queries."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from checks.models import CheckStatus
from incidents.models import DataLossAnswer, DataLossReview, Disclosure
from integrations.models import IncidentStatus
from sprintolike.evidence import EVIDENCE_MAX_BYTES, evidence_storage
from tenants.models import AuditEvent
from tests.checks.conftest import result_of
from tests.factories import (
    ConnectionFactory,
    RemoteIncidentFactory,
    RemoteIncidentStatusChangeFactory,
    RemotePriorityFactory,
    RemoteServiceFactory,
)
from tests.incidents.factories import DataLossReviewFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
PDF = b"%PDF-1.4\n% evidence\n"


def list_url(organization, **params):
    url = reverse("incidents:incident_list", args=[organization.slug])
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return url


def detail_url(incident):
    return reverse("incidents:incident_detail", args=[incident.organization.slug, incident.pk])


def data_loss_url(incident):
    return reverse(
        "incidents:incident_data_loss_save", args=[incident.organization.slug, incident.pk]
    )


def titles(response) -> set[str]:
    return {row["incident"].title for row in response.context["rows"]}


# --- Empty states ------------------------------------------------------------------------------


def test_without_pagerduty_the_list_says_where_to_connect(member_client, organization):
    response = member_client.get(list_url(organization))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Settings &gt; Integrations" in content
    assert reverse("integrations:integration_list", args=[organization.slug]) in content


def test_before_the_first_sync_the_list_says_so(member_client, organization):
    ConnectionFactory(organization=organization, last_synced_at=None)
    response = member_client.get(list_url(organization))
    assert "Waiting for the first sync" in response.content.decode()


# --- The list ----------------------------------------------------------------------------------


def test_list_shows_columns_with_data_loss_and_checks(
    member_client, organization, make_incident, evaluate
):
    failing = make_incident(
        hours_ago=30, title="Checkout down", html_url="https://acme.pagerduty.com/incidents/Q1"
    )
    reviewed = make_incident(hours_ago=5, resolved_hours_ago=1, title="Slow search")
    DataLossReviewFactory(incident=reviewed, data_loss=DataLossAnswer.NO)
    evaluate()

    response = member_client.get(list_url(organization))

    content = response.content.decode()
    for heading in ("Data loss", "Checks"):
        assert f"<th>{heading}</th>" in content
    for heading in ("Incident", "Reported on", "Severity", "Status"):  # sortable headers
        assert 'class="sort-link" href="?sort=' in content and f">{heading}<span" in content
    assert f"#{failing.number} Checkout down" in content
    assert 'href="https://acme.pagerduty.com/incidents/Q1"' in content
    assert "Go to PagerDuty" in content
    rows = {row["incident"].pk: row for row in response.context["rows"]}
    assert rows[failing.pk]["worst"] == CheckStatus.FAILING
    assert rows[failing.pk]["data_loss"]["label"] == "Not answered"
    assert rows[reviewed.pk]["data_loss"]["label"] == "No"
    assert rows[reviewed.pk]["worst"] == CheckStatus.PASSING


def test_filters_narrow_the_list(member_client, organization, connection, make_incident, evaluate):
    p1 = RemotePriorityFactory(connection=connection, name="P1")
    other_service = RemoteServiceFactory(connection=connection, name="Billing")
    make_incident(hours_ago=30, title="Old failing")
    make_incident(hours_ago=2, title="Fresh low", urgency="low")
    make_incident(hours_ago=2, title="P1 outage", priority=p1)
    make_incident(
        hours_ago=3, resolved_hours_ago=1, title="Resolved billing", service=other_service
    )
    evaluate()

    assert titles(member_client.get(list_url(organization, failing="on"))) == {"Old failing"}
    assert titles(member_client.get(list_url(organization, severity="urgency:low"))) == {
        "Fresh low"
    }
    assert titles(member_client.get(list_url(organization, severity=f"priority:{p1.pk}"))) == {
        "P1 outage"
    }
    assert titles(member_client.get(list_url(organization, status="resolved"))) == {
        "Resolved billing"
    }
    assert titles(member_client.get(list_url(organization, source=other_service.pk))) == {
        "Resolved billing"
    }
    assert titles(member_client.get(list_url(organization, q="outage"))) == {"P1 outage"}
    assert titles(member_client.get(list_url(organization, data_loss="to_review"))) == {
        "Resolved billing"
    }
    day_before = (timezone.now() - timedelta(days=1)).date()
    yesterday_only = titles(
        member_client.get(list_url(organization, created_from=day_before, created_to=day_before))
    )
    assert "Fresh low" not in yesterday_only


def test_search_finds_an_incident_by_number(member_client, organization, make_incident):
    incident = make_incident(title="Anything")
    make_incident(title="Else")
    response = member_client.get(list_url(organization, q=f"%23{incident.number}"))
    assert titles(response) == {"Anything"}


def test_a_deselected_source_leaves_the_list(
    member_client, organization, connection, service, make_incident
):
    from tests.incidents.factories import IncidentPolicyFactory, IncidentSourceFactory

    other_service = RemoteServiceFactory(connection=connection)
    make_incident(title="From checkout")
    make_incident(title="From elsewhere", service=other_service)
    IncidentPolicyFactory(organization=organization, sources_narrowed=True)
    IncidentSourceFactory(service=service)
    assert titles(member_client.get(list_url(organization))) == {"From checkout"}


def test_bad_date_range_is_said_beside_the_filters(member_client, organization, make_incident):
    make_incident()
    response = member_client.get(
        list_url(organization, created_from="2026-03-05", created_to="2026-03-01")
    )
    assert "The end date is before the start date." in response.content.decode()


def _many_incidents(connection, count):
    service = RemoteServiceFactory(connection=connection)
    priority = RemotePriorityFactory(connection=connection)
    RemoteIncidentFactory.create_batch(
        count, connection=connection, service=service, priority=priority
    )


@pytest.mark.parametrize("incident_count", [3, 120])
def test_list_page_queries_are_bounded_whatever_the_number_of_incidents(
    member_client, organization, connection, evaluate, incident_count, django_assert_max_num_queries
):
    _many_incidents(connection, incident_count)
    evaluate()
    with django_assert_max_num_queries(16):
        response = member_client.get(list_url(organization, failing="on", status="triggered"))
    assert response.status_code == 200
    with django_assert_max_num_queries(16):
        response = member_client.get(list_url(organization))
    assert len(response.context["rows"]) == min(incident_count, 50)


# --- The incident page -------------------------------------------------------------------------


def test_incident_page_shows_history_and_time_left(member_client, make_incident, evaluate):
    incident = make_incident(hours_ago=0.5, urgency="high")
    RemoteIncidentStatusChangeFactory(incident=incident, kind="trigger", actor_name="Monitoring")
    RemoteIncidentStatusChangeFactory(
        incident=incident,
        kind="acknowledge",
        status=IncidentStatus.ACKNOWLEDGED,
        at=incident.created_at_remote + timedelta(minutes=5),
        actor_name="Ada",
    )
    response = member_client.get(detail_url(incident))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Status history" in content and "acknowledge" in content and "Ada" in content
    assert "24 h (high urgency)" in content
    assert response.context["sla"].page_text.endswith("left")


def test_incident_page_shows_overdue(member_client, make_incident):
    incident = make_incident(hours_ago=30)
    response = member_client.get(detail_url(incident))
    assert response.context["sla"].page_text.startswith("Overdue by 6 h")


def test_members_see_no_data_loss_form(member_client, make_incident):
    incident = make_incident()
    content = member_client.get(detail_url(incident)).content.decode()
    assert "Save data-loss details" not in content


def test_admin_records_data_loss_with_disclosures_and_evidence(
    admin_client, organization, make_incident, evaluate
):
    incident = make_incident(resolved_hours_ago=0.5, resolution_note="Data loss in exports")
    evaluate()
    assert result_of(incident, "incident_data_loss_recorded").status == CheckStatus.FAILING

    response = admin_client.post(
        data_loss_url(incident),
        {
            "data_loss": "yes",
            "data_kinds": ["customer_personal_data", "payment_data"],
            "records_affected": "250",
            "stakeholders": ["customers", "regulator"],
            "customers_done": "on",
            "customers_date": "2026-03-01",
            "customers_evidence": SimpleUploadedFile("notice.pdf", PDF),
            "regulator_done": "on",
            "regulator_date": "2026-03-02",
            "notes": "Exports replayed from backup.",
        },
    )

    assert response.status_code == 302
    review = DataLossReview.objects.get(incident=incident)
    assert review.data_loss == DataLossAnswer.YES
    assert review.records_affected == 250
    assert {d.stakeholder: d.disclosed_on for d in review.disclosures.all()} == {
        "customers": date(2026, 3, 1),
        "regulator": date(2026, 3, 2),
    }
    assert result_of(incident, "incident_data_loss_recorded").status == CheckStatus.PASSING
    assert AuditEvent.objects.filter(action="data_loss_review.update").count() == 1

    disclosure = Disclosure.objects.get(stakeholder="customers")
    assert evidence_storage().exists(disclosure.evidence.name)
    download = admin_client.get(
        reverse("incidents:disclosure_evidence", args=[organization.slug, disclosure.pk])
    )
    assert download["Content-Disposition"] == 'attachment; filename="notice.pdf"'
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == PDF


def test_evidence_files_have_no_public_url(admin_client, make_incident):
    incident = make_incident()
    admin_client.post(
        data_loss_url(incident),
        {
            "data_loss": "yes",
            "stakeholders": ["customers"],
            "customers_evidence": SimpleUploadedFile("notice.pdf", PDF),
        },
    )
    disclosure = Disclosure.objects.get()
    with pytest.raises(ValueError):
        disclosure.evidence.url  # noqa: B018


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("huge.pdf", PDF + b"0" * EVIDENCE_MAX_BYTES),
            "Evidence files may be at most 10 MB",
        ),
        (SimpleUploadedFile("tool.exe", b"MZ..."), "Upload a PDF, PNG, JPG"),
        (SimpleUploadedFile("fake.pdf", b"<html>not a pdf"), "This file is not a valid PDF file."),
    ],
    ids=["oversize", "disallowed-type", "disguised"],
)
def test_bad_evidence_file_is_refused_beside_the_field(
    admin_client, make_incident, upload, message
):
    incident = make_incident()
    response = admin_client.post(
        data_loss_url(incident),
        {"data_loss": "yes", "stakeholders": ["regulator"], "regulator_evidence": upload},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'id="id_regulator_evidence_error"' in content
    assert message in content
    assert not DataLossReview.objects.exists()


def test_disclosure_done_needs_a_past_date_and_a_chosen_stakeholder(admin_client, make_incident):
    incident = make_incident()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = admin_client.post(
        data_loss_url(incident),
        {
            "data_loss": "yes",
            "stakeholders": ["regulator"],
            "regulator_done": "on",
            "regulator_date": tomorrow,
            "customers_done": "on",
            "customers_date": "2026-01-01",
            "internal_management_done": "on",
        },
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "The date cannot be in the future." in content
    assert "Tick customers under “Must be disclosed to” first." in content
    assert 'id="id_internal_management_date_error">Give the date of the disclosure.' in content


def test_negative_records_affected_is_refused(admin_client, make_incident):
    incident = make_incident()
    response = admin_client.post(
        data_loss_url(incident), {"data_loss": "yes", "records_affected": "-3"}
    )
    assert response.status_code == 400
    assert 'id="id_records_affected_error"' in response.content.decode()


def test_another_organisations_incident_is_not_found(admin_client, organization):
    foreign = RemoteIncidentFactory()
    response = admin_client.post(
        reverse("incidents:incident_data_loss_save", args=[organization.slug, foreign.pk]),
        {"data_loss": "yes"},
    )
    assert response.status_code == 404
    assert not DataLossReview.objects.exists()
    assert (
        admin_client.get(
            reverse("incidents:incident_detail", args=[organization.slug, foreign.pk])
        ).status_code
        == 404
    )


def test_another_organisations_disclosure_evidence_is_not_found(member_client, organization):
    from tests.incidents.factories import DisclosureFactory

    foreign = DisclosureFactory(evidence=SimpleUploadedFile("x.pdf", PDF))
    response = member_client.get(
        reverse("incidents:disclosure_evidence", args=[organization.slug, foreign.pk])
    )
    assert response.status_code == 404


def test_members_cannot_record_data_loss(member_client, make_incident):
    incident = make_incident()
    assert member_client.post(data_loss_url(incident), {"data_loss": "no"}).status_code == 403
    assert not DataLossReview.objects.exists()
