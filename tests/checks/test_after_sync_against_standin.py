"""The after-sync evaluation of what a real incremental sync changed (the local PagerDuty
stand-in over HTTP) stores what a full evaluation would."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import CriticalSystem, SystemKind
from checks import tasks
from checks.evaluation import organization_evaluate
from checks.models import CheckResult, CheckStatus, EvaluationState
from integrations.models import IncidentStatus, RemoteAccount, RemoteIncident, SyncTrigger
from integrations.pagerduty.sync.run import sync_connection
from tenants.models import StaffStatus
from tests.checks.test_after_sync_evaluation import assert_a_full_evaluation_finds_nothing_to_change
from tests.factories import StaffMemberFactory
from tests.integrations.sync.conftest import (  # noqa: F401 (fixtures)
    api_key_connection,
    control,
    quick_client,
    standin_server,
    start_standin,
)

pytestmark = [pytest.mark.standin, pytest.mark.django_db]


def sync(connection, *, full=False):
    return sync_connection(
        connection=connection,
        trigger=SyncTrigger.MANUAL,
        full=full,
        client=quick_client(connection),
    )


def test_an_incremental_sync_is_evaluated_as_a_full_evaluation_would(
    organization,
    standin_server,  # noqa: F811 (the imported fixture)
):
    connection = api_key_connection(organization, standin_server)
    sync(connection, full=True)
    CriticalSystem.objects.create(
        organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
    )
    leaver = RemoteAccount.objects.filter(connection=connection, role="user").first()
    offboarded = StaffMemberFactory(
        organization=organization,
        email=leaver.email,
        status=StaffStatus.OFFBOARDED,
        last_working_day=timezone.localdate() - timedelta(days=2),
    )
    organization_evaluate(organization=organization)
    old_open = RemoteIncident.objects.filter(
        connection=connection,
        status=IncidentStatus.TRIGGERED,
        created_at_remote__lt=timezone.now() - timedelta(days=31),
    ).order_by("created_at_remote")
    to_resolve, to_acknowledge = old_open[0], old_open[1]
    control(
        standin_server,
        f"/incidents/{to_resolve.external_id}/resolve",
        {"note": "Resolved. Confirmed data loss: 12 invoices were not stored."},
    )
    control(standin_server, f"/incidents/{to_acknowledge.external_id}/acknowledge")
    control(standin_server, f"/users/{leaver.external_id}/remove")
    control(standin_server, "/incidents", {"count": 3})

    run = sync(connection)
    statuses = tasks.evaluate_organization_after_sync(organization.pk, run.pk)

    assert statuses["incident_closed_within_sla"]["created"] == 3
    assert "access_periodic_review" not in statuses, "nothing a sync writes: not evaluated"
    assert (
        CheckResult.objects.get(
            check_code="incident_closed_within_sla", entity_id=to_resolve.pk
        ).status
        == CheckStatus.PASSING
    )
    assert (
        CheckResult.objects.get(
            check_code="incident_data_loss_recorded", entity_id=to_resolve.pk
        ).status
        == CheckStatus.FAILING
    )
    assert (
        CheckResult.objects.get(check_code="access_account_identified", entity_id=leaver.pk).status
        == CheckStatus.NOT_APPLICABLE
    )
    assert (
        CheckResult.objects.get(
            check_code="access_offboarded_removed", entity_id=offboarded.pk
        ).status
        == CheckStatus.PASSING
    )
    state = EvaluationState.objects.get(organization=organization)
    assert state.evaluated_version == state.inputs_version
    assert_a_full_evaluation_finds_nothing_to_change(organization, now=timezone.now())
