"""Incident settings: sources, report address, SLAs per urgency and priority, data-loss field."""

from unittest import mock

import pytest
from django.urls import reverse

from incidents import services
from incidents.models import IncidentPolicy, IncidentSource, PrioritySla
from incidents.scope import incident_scope_get
from tenants.models import AuditEvent
from tests.factories import RemotePriorityFactory, RemoteServiceFactory

pytestmark = pytest.mark.django_db


def policy_arguments(**overrides):
    return {
        "sources_narrowed": False,
        "source_service_ids": [],
        "report_email": "",
        "sla_hours_high": 24,
        "sla_hours_low": 72,
        "priority_sla_hours": {},
        "data_loss_field_name": "data_loss",
        **overrides,
    }


def form_data(**overrides):
    data = {
        "source_mode": "all",
        "report_email": "",
        "sla_hours_high": "24",
        "sla_hours_low": "72",
        "data_loss_field_name": "data_loss",
    }
    data.update(overrides)
    return data


@pytest.fixture
def enqueued():
    with mock.patch("incidents.views.check_tasks.organization_evaluation_enqueue") as enqueue:
        yield enqueue


def test_defaults_make_every_service_a_source_with_24_and_72_hours(organization, connection):
    scope = incident_scope_get(organization=organization)
    assert scope.source_service_ids is None
    assert (scope.policy.sla_hours_high, scope.policy.sla_hours_low) == (24, 72)
    assert not IncidentPolicy.objects.exists(), "reading the defaults writes nothing"


def test_admin_narrows_sources_and_sets_slas(organization, connection, service, owner):
    other = RemoteServiceFactory(connection=connection)
    p1 = RemotePriorityFactory(connection=connection, name="P1")
    services.incident_policy_update(
        organization=organization,
        acting_user=owner,
        **policy_arguments(
            sources_narrowed=True,
            source_service_ids=[service.pk],
            report_email="Incidents@Example.com",
            sla_hours_high=12,
            priority_sla_hours={p1.pk: 4},
        ),
    )
    scope = incident_scope_get(organization=organization)
    assert scope.source_service_ids == {service.pk}
    assert other.pk not in scope.source_service_ids
    assert scope.policy.report_email == "incidents@example.com"
    assert scope.priority_sla == {p1.pk: (4, "P1")}
    assert AuditEvent.objects.get(action="incident_policy.update").details["sla_hours"] == {
        "high": 12,
        "low": 72,
    }


def test_deselecting_a_source_removes_it(organization, connection, service, owner):
    other = RemoteServiceFactory(connection=connection)
    arguments = policy_arguments(sources_narrowed=True, source_service_ids=[service.pk, other.pk])
    services.incident_policy_update(organization=organization, acting_user=owner, **arguments)
    arguments["source_service_ids"] = [service.pk]
    services.incident_policy_update(organization=organization, acting_user=owner, **arguments)

    assert list(IncidentSource.objects.values_list("service_id", flat=True)) == [service.pk]
    event = AuditEvent.objects.filter(action="incident_policy.update").first()
    assert event.details["sources_removed"] == [other.pk]


@pytest.mark.parametrize("hours", [0, -1, 1.5, "24", True])
def test_sla_hours_must_be_positive_whole_numbers(organization, owner, hours):
    with pytest.raises(services.IncidentsError, match="whole number of hours"):
        services.incident_policy_update(
            organization=organization, acting_user=owner, **policy_arguments(sla_hours_low=hours)
        )
    assert not IncidentPolicy.objects.exists()


def test_unknown_or_foreign_sources_are_rejected(organization, owner):
    foreign_service = RemoteServiceFactory()
    with pytest.raises(services.IncidentsError, match="not synced services"):
        services.incident_policy_update(
            organization=organization,
            acting_user=owner,
            **policy_arguments(sources_narrowed=True, source_service_ids=[foreign_service.pk]),
        )
    assert not IncidentSource.objects.exists()


def test_foreign_priority_is_rejected(organization, owner):
    foreign_priority = RemotePriorityFactory()
    with pytest.raises(services.IncidentsError, match="priorities"):
        services.incident_policy_update(
            organization=organization,
            acting_user=owner,
            **policy_arguments(priority_sla_hours={foreign_priority.pk: 4}),
        )


def test_settings_page_offers_the_services_email_integration_addresses(
    admin_client, organization, connection
):
    RemoteServiceFactory(connection=connection, email_addresses=["report@acme.pagerduty.com"])
    response = admin_client.get(reverse("incidents:incident_policy_edit", args=[organization.slug]))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'name="report_email" value=' not in content  # suggested, never pre-filled
    assert '<option value="report@acme.pagerduty.com">' in content
    assert 'data-fill-value="report@acme.pagerduty.com"' in content


def test_saving_without_choosing_a_suggestion_keeps_the_report_address_empty(
    admin_client, organization, connection, enqueued
):
    RemoteServiceFactory(connection=connection, email_addresses=["report@acme.pagerduty.com"])
    url = reverse("incidents:incident_policy_edit", args=[organization.slug])
    assert admin_client.post(url, form_data(report_email="")).status_code == 302
    assert IncidentPolicy.objects.get(organization=organization).report_email == ""

    assert admin_client.post(url, form_data(report_email="sec@acme.test")).status_code == 302
    assert IncidentPolicy.objects.get(organization=organization).report_email == "sec@acme.test"
    content = admin_client.get(url).content.decode()
    assert 'value="sec@acme.test"' in content  # what was chosen is what is shown


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "The SLA must be at least 1 hour."),
        ("-5", "The SLA must be at least 1 hour."),
        ("1.5", "Enter a whole number of hours."),
        ("soon", "Enter a whole number of hours."),
    ],
)
def test_bad_sla_hours_are_refused_beside_the_field(
    admin_client, organization, connection, value, message, enqueued
):
    response = admin_client.post(
        reverse("incidents:incident_policy_edit", args=[organization.slug]),
        form_data(sla_hours_high=value),
    )
    assert response.status_code == 400
    assert (
        f'<p class="error" id="id_sla_hours_high_error">{message}</p>' in response.content.decode()
    )
    assert not IncidentPolicy.objects.exists()
    enqueued.assert_not_called()


def test_unknown_source_id_is_refused_beside_the_field(
    admin_client, organization, connection, service, enqueued
):
    response = admin_client.post(
        reverse("incidents:incident_policy_edit", args=[organization.slug]),
        form_data(source_mode="selected", sources=[str(service.pk), "987654"]),
    )
    assert response.status_code == 400
    assert "987654 is not a synced service of this organisation." in response.content.decode()
    assert not IncidentSource.objects.exists()


def test_selected_mode_needs_a_service(admin_client, organization, connection, service, enqueued):
    response = admin_client.post(
        reverse("incidents:incident_policy_edit", args=[organization.slug]),
        form_data(source_mode="selected"),
    )
    assert response.status_code == 400
    assert "Choose at least one service" in response.content.decode()


def test_saving_settings_stores_them_and_re_evaluates_in_the_background(
    admin_client, organization, connection, service, enqueued
):
    p1 = RemotePriorityFactory(connection=connection, name="P1")
    response = admin_client.post(
        reverse("incidents:incident_policy_edit", args=[organization.slug]),
        form_data(
            source_mode="selected",
            sources=[str(service.pk)],
            sla_hours_low="48",
            **{f"priority_{p1.pk}": "4"},
        ),
    )
    assert response.status_code == 302
    policy = IncidentPolicy.objects.get(organization=organization)
    assert policy.sources_narrowed and policy.sla_hours_low == 48
    assert PrioritySla.objects.get().sla_hours == 4
    enqueued.assert_called_once_with(organization_id=organization.pk)


def test_members_cannot_open_the_settings(member_client, organization):
    url = reverse("incidents:incident_policy_edit", args=[organization.slug])
    assert member_client.get(url).status_code == 403
    assert member_client.post(url, form_data()).status_code == 403
