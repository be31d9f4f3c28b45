"""In the Django admin, synced data and check results are read-only evidence; data-loss reviews
and special cases may be corrected by staff, and each edit is in the organisation's audit log
(who, what changed) in the same transaction."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.urls import reverse

from checks.models import CheckResult
from incidents.models import DataLossAnswer, DataLossReview
from tenants.models import AuditEvent
from tests.checks.factories import CheckResultFactory, SpecialCaseFactory
from tests.factories import (
    ConnectionFactory,
    RemoteAccountFactory,
    RemoteIncidentFactory,
    RemoteIncidentStatusChangeFactory,
    RemoteServiceFactory,
    SyncRunFactory,
)
from tests.incidents.factories import DataLossReviewFactory, DisclosureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("staff@example.com", "staff@example.com", "x")
    client.force_login(user)
    return user


def admin_url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def make_synced_rows(organization):
    connection = ConnectionFactory(organization=organization, api_key="secret-api-key-value")
    incident = RemoteIncidentFactory(connection=connection)
    return [
        SyncRunFactory(connection=connection),
        RemoteServiceFactory(connection=connection),
        RemoteAccountFactory(connection=connection),
        incident,
        RemoteIncidentStatusChangeFactory(incident=incident),
        CheckResultFactory(organization=organization),
    ]


def test_synced_data_and_check_results_are_read_only(client, staff, organization):
    for row in make_synced_rows(organization):
        model = type(row)
        page = client.get(admin_url(model, "change", row.pk))
        assert page.status_code == 200, model
        assert b'type="submit"' not in page.content or b'name="_save"' not in page.content, model
        assert client.get(admin_url(model, "add")).status_code == 403, model
        assert client.get(admin_url(model, "delete", row.pk)).status_code == 403, model
        assert client.post(admin_url(model, "change", row.pk), {}).status_code == 403, model
        assert b"secret-api-key-value" not in page.content
    assert CheckResult.objects.count() == 1


def test_admin_url_fields_read_a_url_without_scheme_as_https():
    """Django 6.0's default, chosen now (a form built with the old default warns)."""
    admins = [
        admin_class
        for model_admin in admin.site._registry.values()
        for admin_class in (
            model_admin,
            *(inline(model_admin.model, admin.site) for inline in model_admin.inlines),
        )
    ]
    url_fields = [
        (model_admin, field)
        for model_admin in admins
        for field in model_admin.model._meta.get_fields()
        if isinstance(field, models.URLField)
    ]
    assert url_fields  # the synced records' html_url
    for model_admin, field in url_fields:
        form_field = model_admin.formfield_for_dbfield(field, request=None)
        url = form_field.clean("acme.pagerduty.com/incidents/Q1")
        assert url == "https://acme.pagerduty.com/incidents/Q1", (model_admin, field.name)


def test_a_data_loss_review_edit_is_audited_with_who_and_what_changed(client, staff, organization):
    review = DataLossReviewFactory(
        incident=RemoteIncidentFactory(organization=organization),
        data_loss=DataLossAnswer.YES,
        records_affected=10,
    )
    disclosure = DisclosureFactory(review=review, done=False)
    data = {
        "data_loss": "yes",
        "data_kinds": "[]",
        "other_data_description": "",
        "records_affected": "250",
        "stakeholders": '["regulator"]',
        "notes": "Corrected from the incident report.",
        "updated_by": "",
        "disclosures-TOTAL_FORMS": "1",
        "disclosures-INITIAL_FORMS": "1",
        "disclosures-MIN_NUM_FORMS": "0",
        "disclosures-MAX_NUM_FORMS": "1000",
        "disclosures-0-id": str(disclosure.pk),
        "disclosures-0-review": str(review.pk),
        "disclosures-0-stakeholder": "regulator",
        "disclosures-0-done": "on",
        "disclosures-0-disclosed_on": "2026-02-01",
    }

    response = client.post(admin_url(DataLossReview, "change", review.pk), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    review.refresh_from_db()
    assert review.records_affected == 250
    events = AuditEvent.objects.filter(action="data_loss_review.admin_change").order_by("id")
    assert [event.actor for event in events] == [staff, staff]
    assert events[0].organization == organization
    assert events[0].details["changed"]["records_affected"] == {"from": 10, "to": 250}
    assert events[0].details["via"] == "django admin"
    inline = events[1].details["inline"]
    assert list(inline.values())[0]["done"] == {"from": False, "to": True}


def test_a_special_case_edit_and_delete_are_audited(client, staff, organization):
    special_case = SpecialCaseFactory(organization=organization, reason="Test incident")
    data = {"reason": "Drill, not a real incident", "expires_on": "2027-01-01", "withdrawn_by": ""}

    response = client.post(admin_url(type(special_case), "change", special_case.pk), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    event = AuditEvent.objects.get(action="special_case.admin_change")
    assert event.actor == staff
    assert event.details["changed"]["reason"] == {
        "from": "Test incident",
        "to": "Drill, not a real incident",
    }
    assert event.details["changed"]["expires_on"] == {"from": None, "to": "2027-01-01"}

    client.post(admin_url(type(special_case), "delete", special_case.pk), {"post": "yes"})
    assert AuditEvent.objects.filter(action="special_case.admin_delete", actor=staff).exists()


def test_reviews_and_special_cases_are_not_added_from_the_admin(client, staff):
    assert client.get(admin_url(DataLossReview, "add")).status_code == 403
    assert client.get(reverse("admin:checks_specialcase_add")).status_code == 403


def test_admin_edits_read_as_sentences_on_the_audit_log(client, staff, organization):
    from tenants.audit import audit_entry

    special_case = SpecialCaseFactory(organization=organization, reason="Test incident")
    client.post(
        admin_url(type(special_case), "change", special_case.pk),
        {"reason": "Drill", "expires_on": "", "withdrawn_by": ""},
    )
    entry = audit_entry(AuditEvent.objects.get(action="special_case.admin_change"))
    assert entry.action_label == "Special case changed by staff (admin)"
    assert entry.summary.startswith("Staff changed ")
    assert entry.summary.endswith("in the Django admin (Reason).")
