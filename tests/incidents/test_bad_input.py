"""Input at the edges of what a column or a date can hold is refused beside its field with
nothing stored, never a server error."""

import pytest
from django.urls import reverse

from incidents.models import MAX_RECORDS_AFFECTED, DataLossReview
from tenants.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def data_loss_url(incident):
    return reverse(
        "incidents:incident_data_loss_save", args=[incident.organization.slug, incident.pk]
    )


def test_records_affected_beyond_the_column_is_refused_and_nothing_stored(
    admin_client, make_incident
):
    incident = make_incident()
    response = admin_client.post(
        data_loss_url(incident),
        {"data_loss": "yes", "records_affected": str(MAX_RECORDS_AFFECTED + 1)},
    )
    assert response.status_code == 400
    assert 'id="id_records_affected_error">That number is too large to store' in (
        response.content.decode()
    )
    assert not DataLossReview.objects.exists()
    assert not AuditEvent.objects.filter(action="data_loss_review.update").exists()


def test_records_affected_at_the_column_limit_is_stored(admin_client, make_incident):
    incident = make_incident()
    response = admin_client.post(
        data_loss_url(incident),
        {"data_loss": "yes", "records_affected": str(MAX_RECORDS_AFFECTED)},
    )
    assert response.status_code == 302
    assert DataLossReview.objects.get().records_affected == MAX_RECORDS_AFFECTED


@pytest.mark.parametrize(
    "params",
    [
        {"created_to": "9999-12-31"},
        {"created_from": "9999-12-31"},
        {"created_from": "0001-01-01"},
        {"created_to": "0001-01-01"},
        {"created_from": "0001-01-01", "created_to": "9999-12-31"},
    ],
)
def test_filter_dates_at_the_calendar_limits_are_refused_with_a_message(
    member_client, organization, make_incident, params
):
    make_incident(title="Still listed")
    url = reverse("incidents:incident_list", args=[organization.slug])
    response = member_client.get(url, params)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Pick a date from 1970-01-01 to 2100-12-31." in content
    assert "Still listed" in content  # the refused filter is not applied


def test_filter_dates_that_are_not_dates_are_refused_with_a_message(
    member_client, organization, make_incident
):
    make_incident()
    url = reverse("incidents:incident_list", args=[organization.slug])
    response = member_client.get(url, {"created_from": "31/12/99999"})
    assert response.status_code == 200
    assert "Enter a date as YYYY-MM-DD." in response.content.decode()


def test_a_refused_data_loss_form_lists_its_errors_at_the_top_linking_to_the_fields(
    admin_client, make_incident
):
    incident = make_incident()
    response = admin_client.post(
        data_loss_url(incident),
        {
            "data_loss": "yes",
            "records_affected": "-1",
            "data_kinds": ["other"],
            "regulator_done": "on",
        },
    )
    content = response.content.decode()
    start = content.index('class="error-summary"')
    summary = content[start : content.index("</ul>", start)]
    assert "4 things to fix" in summary
    assert "Disclosure to regulator: Date disclosed: Give the date of the disclosure." in summary
    assert '<a href="#id_records_affected">Records affected: ' in summary
    assert '<a href="#id_other_data_description">Other data (describe): ' in summary
    assert '<a href="#id_regulator_done">Disclosed to regulator: Tick regulator' in summary
    assert 'data-stakeholder="regulator"' in content  # boxes are all rendered without JS
    assert 'data-stakeholder="customers"' in content
