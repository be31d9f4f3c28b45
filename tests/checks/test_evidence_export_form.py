"""The evidence export: GET shows the form, the download is a POST with a sane range, and a
refused range writes no audit event."""

import pytest
from django.urls import reverse

from tenants.models import AuditEvent
from tests.checks.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def export_url(organization):
    return reverse("checks:evidence_export", args=[organization.slug])


def test_get_shows_the_form_and_writes_no_audit_event(member_client, organization):
    response = member_client.get(
        export_url(organization), {"start": "2026-01-01", "end": "2026-03-01"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    content = response.content.decode()
    assert '<form method="post"' in content
    assert 'value="2026-01-01"' in content
    assert not AuditEvent.objects.filter(action="evidence.export").exists()


def test_monitoring_offers_the_export_as_a_csrf_protected_post(member_client, organization):
    content = member_client.get(reverse("checks:monitoring", args=[organization.slug])).content
    content = content.decode()
    form = content[content.index(export_url(organization)) - 60 :]
    assert 'method="post"' in form
    assert "csrfmiddlewaretoken" in form


def test_post_downloads_the_csv_and_records_who_exported(member_client, organization, member):
    day = NOW.date().isoformat()
    response = member_client.post(export_url(organization), {"start": day, "end": day})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    event = AuditEvent.objects.get(action="evidence.export")
    assert event.actor == member


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("2026-01-01", "9999-12-31", "end", "The end date cannot be after 2026-03-03 (tomorrow)."),
        ("2026-03-05", "2026-03-01", "end", "The end date is before the start date."),
        ("0001-01-01", "2026-03-01", "start", "Export at most 1098 days at a time"),
    ],
)
def test_a_range_out_of_bounds_is_refused_beside_the_field_without_an_audit_event(
    member_client, organization, start, end, field, message
):
    response = member_client.post(export_url(organization), {"start": start, "end": end})
    assert response.status_code == 400
    assert f'id="id_{field}_error">{message}' in response.content.decode()
    assert not AuditEvent.objects.filter(action="evidence.export").exists()
