"""In a real browser: revoke with the data kept and still browse it; follow a sync's progress
as it runs (htmx polling, and a Refresh link without JavaScript); the data-loss form shows the
disclosure boxes of the stakeholders ticked and an error summary; report-address suggestions.
Each page is photographed at desktop width and at 390 px."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from checks.evaluation import organization_evaluate
from integrations.models import IncidentStatus, SyncRunStatus
from integrations.pagerduty.sync.lease import sync_lease_acquire
from tenants.models import Role
from tests.factories import (
    ConnectionFactory,
    MembershipFactory,
    RemoteIncidentFactory,
    RemoteServiceFactory,
    SyncRunFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def both_widths(page, screenshot, name: str) -> None:
    screenshot(f"{name}-desktop")
    page.set_viewport_size(PHONE)
    screenshot(f"{name}-390")
    page.set_viewport_size(DESKTOP)


@pytest.fixture
def connected_org():
    membership = MembershipFactory(role=Role.OWNER, user__email="owner@example.com")
    organization = membership.organization
    connection = ConnectionFactory(
        organization=organization, subdomain="acme", last_synced_at=timezone.now()
    )
    service = RemoteServiceFactory(
        connection=connection, name="Orders API", email_addresses=["orders@acme.pagerduty.com"]
    )
    for number, hours in ((101, 30), (102, 3)):
        RemoteIncidentFactory(
            connection=connection,
            service=service,
            number=number,
            title=f"Orders queue stalled #{number}",
            status=IncidentStatus.TRIGGERED,
            created_at_remote=timezone.now() - timedelta(hours=hours),
        )
    SyncRunFactory(
        connection=connection,
        status=SyncRunStatus.SUCCEEDED,
        started_at=timezone.now() - timedelta(hours=1),
        finished_at=timezone.now() - timedelta(hours=1) + timedelta(seconds=40),
        counts={"incidents": {"seen": 2, "created": 2, "updated": 0, "removed": 0}},
        request_count=9,
    )
    organization_evaluate(organization=organization)
    return organization, connection


def test_revoke_keep_data_then_browse_it_with_a_banner(page, screenshot, sign_in, connected_org):
    organization, connection = connected_org
    sign_in("owner@example.com")
    base = page.url.rstrip("/")

    page.goto(f"{base}/settings/integrations/connections/{connection.pk}/revoke/")
    button = page.get_by_role("button", name="Revoke authorization")
    background = button.evaluate("element => getComputedStyle(element).backgroundColor")
    assert background == "rgb(192, 53, 43)"  # the danger colour
    both_widths(page, screenshot, "revoke-form")
    page.get_by_label("Keep the data synced so far").check()
    page.get_by_label("Yes, revoke this connection").check()
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    page.wait_for_url(re.compile(r"/settings/integrations/\?tab=connected"))
    row = page.locator("table tr", has_text="acme")
    assert row.locator(".badge", has_text="Revoked").is_visible()
    assert row.get_by_text("data kept").is_visible()
    both_widths(page, screenshot, "integrations-revoked")

    row.get_by_role("link", name="Open").click()
    assert page.get_by_text("9", exact=True).first.is_visible()  # the sync history is kept

    banner = re.compile(
        r"Connection to acme revoked on \d{4}-\d\d-\d\d by owner@example.com; data kept\."
    )
    page.click("aside >> text=Incidents")
    assert page.get_by_text(banner).is_visible()
    assert page.get_by_text("Orders queue stalled #101").is_visible()
    assert page.locator("table.incidents").get_by_text("Not checked").first.is_visible()
    both_widths(page, screenshot, "incidents-revoked")

    page.click("aside >> text=Monitoring")
    assert page.get_by_text(banner).is_visible()
    assert page.get_by_text("Counted before the revocation").first.is_visible()
    both_widths(page, screenshot, "monitoring-revoked")


def test_sync_progress_updates_by_itself_and_stops_when_done(
    page, screenshot, sign_in, connected_org
):
    organization, connection = connected_org
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in("owner@example.com")
    sync_lease_acquire(connection=connection)
    run = SyncRunFactory(
        connection=connection,
        status=SyncRunStatus.RUNNING,
        started_at=timezone.now() - timedelta(seconds=20),
        counts={"services": {"seen": 12, "created": 0, "updated": 1, "removed": 0}},
        request_count=3,
    )

    page.goto(f"{page.url.rstrip('/')}/settings/integrations/connections/{connection.pk}/")
    progress = page.locator(".sync-progress")
    assert progress.get_by_text("Sync running").is_visible()
    assert progress.get_by_text("3 PagerDuty requests so far").is_visible()
    both_widths(page, screenshot, "sync-running")

    run.counts = {
        "services": {"seen": 12, "created": 0, "updated": 1, "removed": 0},
        "incidents": {"seen": 4200, "created": 4100, "updated": 0, "removed": 0},
    }
    run.request_count = 45
    run.save()
    progress.get_by_text("45 PagerDuty requests so far").wait_for(timeout=8_000)
    assert page.locator(".sync-progress td", has_text="4,200").is_visible()
    screenshot("sync-progressed")

    run.status = SyncRunStatus.SUCCEEDED
    run.finished_at = timezone.now()
    run.save()
    connection.sync_lease_expires_at = None
    connection.save()
    page.locator(".sync-progress").wait_for(state="detached", timeout=8_000)
    assert page.locator("#sync-status").get_attribute("hx-trigger") is None
    assert page.get_by_role("button", name="Sync now").is_enabled()  # the header follows
    assert page.locator("#connection-status .badge", has_text="Connected").is_visible()
    both_widths(page, screenshot, "sync-done")
    assert violations == []  # htmx injects no inline style or script under the strict CSP


def test_sync_progress_without_javascript_has_a_refresh_link(
    browser, live_server, connected_org, screenshot
):
    organization, connection = connected_org
    sync_lease_acquire(connection=connection)
    SyncRunFactory(connection=connection, status=SyncRunStatus.RUNNING, request_count=7)
    context = browser.new_context(java_script_enabled=False, viewport=DESKTOP)
    page = context.new_page()
    from tests.factories import TEST_PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "owner@example.com")
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(
        f"{live_server.url}/o/{organization.slug}/settings/integrations/connections/{connection.pk}/"
    )
    assert page.get_by_text("Sync running").is_visible()
    page.get_by_role("link", name="Refresh").click()
    assert page.get_by_text("7 PagerDuty requests so far").is_visible()
    context.close()


def test_data_loss_form_shows_ticked_disclosures_and_an_error_summary(
    page, screenshot, sign_in, connected_org
):
    organization, connection = connected_org
    sign_in("owner@example.com")
    page.click("aside >> text=Incidents")
    page.get_by_role("link", name=re.compile("Orders queue stalled #101")).click()
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    page.wait_for_load_state()
    form = page.locator("form.data-loss-form")
    assert not form.locator("[data-stakeholder=regulator]").is_visible()
    form.get_by_label("Yes", exact=True).check()
    form.get_by_label("Regulator", exact=True).check()
    assert form.locator("[data-stakeholder=regulator]").is_visible()
    assert not form.locator("[data-stakeholder=customers]").is_visible()
    form.get_by_label("Other", exact=True).check()
    form.get_by_label("Disclosed to regulator").check()
    form.get_by_role("button", name="Save data-loss details").click()

    summary = page.locator(".error-summary")
    assert summary.get_by_text("not saved: 2 things to fix").is_visible()
    summary.get_by_role("link", name=re.compile("Other data")).click()
    assert page.url.endswith("#id_other_data_description")
    assert form.locator("[data-stakeholder=regulator]").is_visible()
    both_widths(page, screenshot, "data-loss-errors")


def test_incident_settings_suggest_the_report_address_without_saving_it(
    page, screenshot, sign_in, connected_org
):
    organization, connection = connected_org
    sign_in("owner@example.com")
    page.goto(f"{page.url.rstrip('/')}/incidents/settings/")
    field = page.get_by_label("Incident report email address")
    assert field.input_value() == ""
    both_widths(page, screenshot, "incident-settings")
    page.get_by_role("button", name="Use this address").click()
    assert field.input_value() == "orders@acme.pagerduty.com"


def test_pages_at_both_widths(page, screenshot, sign_in, connected_org):
    organization, connection = connected_org
    sign_in("owner@example.com")
    base = page.url.rstrip("/")
    page.goto(f"{base}/incidents/")
    assert page.get_by_text("Incidents created in the last 365 days").is_visible()
    both_widths(page, screenshot, "incidents")
    page.goto(f"{base}/monitoring/")
    assert page.get_by_text("count as passing until they are flagged").is_visible()
    both_widths(page, screenshot, "monitoring")
    page.goto(f"{base}/monitoring/incident_closed_within_sla/")
    assert page.locator(".tabs .tab-count").first.is_visible()
    both_widths(page, screenshot, "check-tabs")
    page.goto(f"{base}/monitoring/evidence/?start=2026-01-01&end=9999-12-31")
    page.get_by_role("button", name="Download CSV").click()
    assert page.get_by_text("The end date cannot be after").is_visible()
    both_widths(page, screenshot, "evidence-refused")
