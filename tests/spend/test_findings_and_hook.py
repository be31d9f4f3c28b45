"""Insights remember whom they named; a named seat that goes away is a realized saving. The
after-sync hook recomputes the rollups of the synced connection's services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.hooks import after_sync_tasks
from integrations.models import RemoteIncidentStatusChange
from spend.models import InsightFinding, SaasService, ServiceTier, UsageMonth
from spend.rollups import insight_findings_refresh
from spend.selectors import member_facts, realized_savings
from spend.tasks import spend_refresh_after_sync
from tests.factories import (
    ConnectionFactory,
    RemoteAccountFactory,
    RemoteIncidentFactory,
    StaffMemberFactory,
    SyncRunFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(organization):
    connection = ConnectionFactory(organization=organization)
    service = SaasService.objects.create(
        organization=organization, catalog_key="pagerduty", name="PagerDuty", connection=connection
    )
    ServiceTier.objects.create(
        organization=organization,
        service=service,
        name="Full User",
        role_group="FullUser",
        price_per_seat_cents=4100,
    )
    return service


def test_a_seat_removed_after_an_insight_named_it_is_a_realized_saving(organization, service):
    stale = RemoteAccountFactory(
        connection=service.connection,
        last_sign_in_at=None,
        on_schedule=False,
        on_escalation_policy=False,
    )
    insight_findings_refresh(service=service)
    assert InsightFinding.objects.get(account=stale).code == "inactive"

    stale.removed_at = timezone.now()
    stale.save()
    insight_findings_refresh(service=service)

    ((month, seats, saving),) = realized_savings(service=service)
    assert (seats, saving) == (1, 4100)


def test_staff_are_matched_by_email_and_offboarded_ones_are_named(organization, service):
    StaffMemberFactory(organization=organization, email="Ada@Example.com", status="offboarded")
    RemoteAccountFactory(connection=service.connection, email="ada@example.com")

    (facts,) = member_facts(service=service, now=timezone.now())

    assert facts.staff_status == "offboarded"


def test_responders_are_read_from_status_changes_of_the_last_90_days(organization, service):
    responder = RemoteAccountFactory(connection=service.connection, external_id="PRESP")
    quiet = RemoteAccountFactory(connection=service.connection, external_id="PQUIET")
    incident = RemoteIncidentFactory(connection=service.connection)
    for external_id, days_ago, actor in (("LE1", 10, "PRESP"), ("LE2", 120, "PQUIET")):
        RemoteIncidentStatusChange.objects.create(
            organization=organization,
            connection=service.connection,
            incident=incident,
            external_id=external_id,
            kind="acknowledge",
            status="acknowledged",
            at=timezone.now() - timedelta(days=days_ago),
            actor_external_id=actor,
        )

    facts = {fact.account_id: fact for fact in member_facts(service=service, now=timezone.now())}

    assert facts[responder.pk].responded_recently and not facts[quiet.pk].responded_recently


def test_the_after_sync_hook_recomputes_the_synced_services(organization, service):
    assert "spend.tasks.spend_refresh_after_sync" in after_sync_tasks()
    RemoteIncidentFactory(connection=service.connection, alert_count=3)
    run = SyncRunFactory(connection=service.connection, organization=organization)

    spend_refresh_after_sync(organization.pk, run.pk)

    (month,) = UsageMonth.objects.filter(service=service)
    assert (month.incidents, month.alerts, month.notifications) == (1, 3, None)


def test_members_follow_access_management_identification_when_pagerduty_is_critical(
    organization, service
):
    """A mapping by hand in access management wins over the email match on Spend too."""
    from access.models import AccountIdentity, IdentityKind
    from access.services import pagerduty_system_get_or_create
    from integrations.models import RemoteAccount
    from spend.selectors import member_staff_match
    from tests.factories import RemoteAccountFactory, StaffMemberFactory

    account = RemoteAccountFactory(connection=service.connection, email="pat@example.com")
    StaffMemberFactory(organization=organization, email="pat@example.com")
    someone_else = StaffMemberFactory(organization=organization, email="owner-of-it@example.com")
    system = pagerduty_system_get_or_create(organization=organization, acting_user=None)
    AccountIdentity.objects.create(
        organization=organization,
        system=system,
        account_key=account.external_id,
        kind=IdentityKind.MAPPED,
        staff_member=someone_else,
    )

    matched = member_staff_match(
        organization=organization, accounts=RemoteAccount.objects.filter(pk=account.pk)
    ).get()

    assert matched.staff_pk == someone_else.pk
    assert matched.staff_name == someone_else.name
