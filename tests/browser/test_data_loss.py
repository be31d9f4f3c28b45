"""End to end in a real browser: an admin signs in, finds an incident flagged for data loss,
records the loss and its disclosure with evidence, and sees the check pass."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from checks.evaluation import organization_evaluate
from checks.models import CheckResult, CheckStatus
from incidents.models import DataLossReview, Disclosure
from integrations.models import IncidentStatus
from tenants.models import Role
from tests.factories import (
    ConnectionFactory,
    MembershipFactory,
    RemoteIncidentFactory,
    RemoteServiceFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_records_data_loss_and_the_check_passes(
    page, screenshot, settings, tmp_path, sign_in
):
    settings.EVIDENCE_ROOT = str(tmp_path / "evidence")
    membership = MembershipFactory(role=Role.ADMIN, user__email="dpo@example.com")
    organization = membership.organization
    connection = ConnectionFactory(organization=organization, last_synced_at=timezone.now())
    service = RemoteServiceFactory(connection=connection, name="Orders API")
    incident = RemoteIncidentFactory(
        connection=connection,
        service=service,
        title="Orders not persisted",
        status=IncidentStatus.RESOLVED,
        created_at_remote=timezone.now() - timedelta(hours=6),
        resolved_at=timezone.now() - timedelta(hours=1),
        resolution_note="Confirmed data loss: about 200 order records were not persisted.",
    )
    organization_evaluate(organization=organization)
    evidence = tmp_path / "regulator-notice.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% notice sent to the regulator\n")

    sign_in("dpo@example.com")
    assert page.url.endswith(f"/o/{organization.slug}/")

    page.click("aside >> text=Incidents")
    screenshot("incident-list")
    row = page.locator("table tr", has_text="Orders not persisted")
    assert row.get_by_text("flagged").is_visible()
    assert row.locator(".badge", has_text="Failing").is_visible()
    row.get_by_role("link", name=re.compile("Orders not persisted")).click()
    page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/$"))
    assert page.get_by_text("flagged by resolution note").is_visible()

    form = page.locator("form.data-loss-form")
    form.get_by_label("Yes", exact=True).check()
    form.get_by_label("Customer personal data").check()
    form.get_by_label("Payment data").check()
    form.get_by_label("Records affected").fill("200")
    form.get_by_label("Regulator", exact=True).check()
    form.get_by_label("Disclosed to regulator").check()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    form.locator("input[name=regulator_date]").fill(yesterday)
    form.locator("input[name=regulator_evidence]").set_input_files(str(evidence))
    screenshot("form-filled")
    form.get_by_role("button", name="Save data-loss details").click()

    page.wait_for_url(re.compile(rf"/incidents/{incident.pk}/"))
    assert page.get_by_text("Data-loss details saved.").is_visible()
    assert page.get_by_role("link", name="regulator-notice.pdf").is_visible()
    checks_table = page.locator("section", has_text="Checks").locator("table").first
    assert (
        checks_table.locator("tr", has_text="Data loss information")
        .locator(".badge", has_text="Passing")
        .is_visible()
    )
    screenshot("data-loss-recorded")

    page.click("aside >> text=Monitoring")
    monitoring_row = page.locator("table tr", has_text="Data loss information should be added")
    assert monitoring_row.locator(".badge", has_text="Passing").is_visible()
    screenshot("monitoring")

    review = DataLossReview.objects.get(incident=incident)
    assert review.data_loss == "yes" and review.records_affected == 200
    assert Disclosure.objects.get(review=review).evidence_name == "regulator-notice.pdf"
    assert (
        CheckResult.objects.get(
            check_code="incident_data_loss_recorded", entity_id=incident.pk
        ).status
        == CheckStatus.PASSING
    )
