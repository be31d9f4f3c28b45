"""The dashboard: panels and setup steps the apps register (tenants imports none of them), the
checklist of a new organisation, and a query count that does not grow with the data."""

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import CriticalSystem, SystemKind
from checks.models import CheckStatus, CheckSummary
from incidents.models import IncidentPolicy
from spend.models import SaasService, ServiceTier
from tenants import dashboard
from tests.checks.factories import CheckResultFactory
from tests.factories import (
    ConnectionFactory,
    InvitationFactory,
    RemoteAccountFactory,
    RemoteIncidentFactory,
    StaffMemberFactory,
)

pytestmark = pytest.mark.django_db

STEPS = [
    "Connect PagerDuty",
    "Import your staff",
    "Choose incident sources",
    "Configure access",
    "Price PagerDuty under Spend",
]


def _url(organization):
    return reverse("tenants:dashboard", args=[organization.slug])


@pytest.fixture
def extra_panel():
    calls = []

    def context(request):
        calls.append(request.organization.slug)
        return None if request.GET.get("hide") else {"greeting": "hello from a test panel"}

    dashboard.register_dashboard_panel(
        "test_panel", order=1, template="tests/dashboard_test_panel.html", context=context
    )
    yield calls
    dashboard.unregister_dashboard_panel("test_panel")


def test_a_registered_panel_is_rendered_in_order_and_none_hides_it(
    owner_client, organization, extra_panel, settings, tmp_path
):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "dashboard_test_panel.html").write_text(
        '<section id="test-panel">{{ greeting }} in {{ current_org.name }}</section>'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]
    html = owner_client.get(_url(organization)).content.decode()
    assert f"hello from a test panel in {organization.name}" in html
    assert html.index("test-panel") < html.index("Recent activity")
    assert extra_panel == [organization.slug]
    assert "test-panel" not in owner_client.get(_url(organization) + "?hide=1").content.decode()


def test_the_apps_register_their_panels_and_steps():
    assert {"checks_posture", "integrations_sync", "spend_headline"} <= set(dashboard._PANELS)
    steps = sorted(dashboard._STEPS.values(), key=lambda step: step.order)
    assert [step.title for step in steps] == STEPS


def test_a_new_organisation_sees_the_whole_checklist_with_links(owner_client, organization):
    response = owner_client.get(_url(organization))
    html = response.content.decode()
    assert "Get set up" in html and "0 of 5 done" in html
    for title in STEPS:
        assert title in html
    for name in ("integrations:provider_detail", "tenants:staff_import", "access:overview"):
        assert reverse(name, args=[organization.slug]) in html
    assert reverse("incidents:incident_policy_edit", args=[organization.slug]) in html
    assert reverse("spend:catalog", args=[organization.slug]) in html
    # True empty states: nothing synced yet, so no connections or spend panel.
    assert "No check has been evaluated yet" in html
    assert "Sync state" not in html and 'id="spend-headline"' not in html


def test_each_step_is_ticked_when_done_and_the_checklist_hides_when_all_are(
    owner_client, organization, owner
):
    def states():
        return {state.step.code: state.done for state in dashboard.setup_checklist(organization)}

    assert not any(states().values())
    ConnectionFactory(organization=organization)
    StaffMemberFactory(organization=organization)
    assert states() == {
        "connect_pagerduty": True,
        "import_staff": True,
        "incident_sources": False,
        "configure_access": False,
        "price_pagerduty": False,
    }
    assert "2 of 5 done" in owner_client.get(_url(organization)).content.decode()
    IncidentPolicy.objects.create(organization=organization)
    CriticalSystem.objects.create(
        organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
    )
    service = SaasService.objects.create(
        organization=organization, catalog_key="pagerduty", name="PagerDuty"
    )
    tier = ServiceTier.objects.create(organization=organization, service=service, name="Full")
    assert states()["configure_access"] is True
    assert states()["price_pagerduty"] is False  # a tier without its price
    tier.price_per_seat_cents = 4100
    tier.save()
    assert dashboard.setup_checklist(organization) == []
    assert "Get set up" not in owner_client.get(_url(organization)).content.decode()


def test_role_based_access_without_any_org_role_is_not_configured(organization):
    CriticalSystem.objects.create(
        organization=organization,
        kind=SystemKind.PAGERDUTY,
        name="PagerDuty",
        valid_access_mode="role_based",
    )
    states = {state.step.code: state.done for state in dashboard.setup_checklist(organization)}
    assert states["configure_access"] is False


def test_recent_activity_and_pending_invitations_stay(owner_client, organization, owner):
    invitation = InvitationFactory(email=owner.email)
    owner_client.post(
        reverse("tenants:staff_create", args=[organization.slug]),
        {"name": "Grace Hopper", "email": "grace@example.com", "status": "active"},
    )
    html = owner_client.get(_url(organization)).content.decode()
    assert "You have an invitation" in html and invitation.organization.name in html
    recent = html[html.index("Recent activity") :]
    assert "Grace Hopper" in recent or "grace@example.com" in recent
    assert "No activity yet" not in recent


def _fill(organization, connection, count):
    for _ in range(count):
        incident = RemoteIncidentFactory(connection=connection)
        CheckResultFactory(organization=organization, entity_id=incident.pk)
        RemoteAccountFactory(connection=connection)


def test_the_query_count_does_not_grow_with_incidents_or_accounts(
    owner_client, organization, django_assert_max_num_queries
):
    connection = ConnectionFactory(organization=organization, last_synced_at=timezone.now())
    service = SaasService.objects.create(
        organization=organization, catalog_key="pagerduty", name="PagerDuty", connection=connection
    )
    ServiceTier.objects.create(
        organization=organization, service=service, name="Full", price_per_seat_cents=4100
    )
    CheckSummary.objects.create(
        organization=organization,
        check_code="incident_closed_within_sla",
        status=CheckStatus.FAILING,
        failing_count=3,
        evaluated_at=timezone.now(),
    )
    _fill(organization, connection, 3)
    owner_client.get(_url(organization))  # warm the session
    with django_assert_max_num_queries(40) as few:
        assert owner_client.get(_url(organization)).status_code == 200
    _fill(organization, connection, 40)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        html = owner_client.get(_url(organization)).content.decode()
    assert "Needs attention" in html
    print(f"dashboard queries: {len(few)} with 3 incidents/accounts, {len(many)} with 43")
