"""What the sync keeps for access management, against the stand-in: role and license changes
as account history, exact removal times from audit records when the scope allows (a note on
the run when not), identities by hand surviving, and review follow-ups verified."""

import pytest

from access import reviews, services
from access.accounts import pagerduty_accounts
from access.models import CriticalSystem, FollowUpStatus, SystemKind
from access.tasks import verify_follow_ups_after_sync
from integrations.models import (
    AccountChangeKind,
    RemoteAccount,
    RemoteAccountChange,
    SyncRunStatus,
    SyncTrigger,
)
from integrations.pagerduty.sync.run import sync_connection
from tests.integrations.sync.conftest import (
    api_key_connection,
    control,
    oauth_connection,
    quick_client,
)

pytestmark = pytest.mark.django_db(transaction=False)

SCOPES_WITHOUT_AUDIT = (
    "users.read services.read incidents.read priorities.read licenses.read analytics.write"
    " users:notifications.read"
)


def sync(connection):
    run = sync_connection(
        connection=connection, trigger=SyncTrigger.MANUAL, client=quick_client(connection)
    )
    assert run.status == SyncRunStatus.SUCCEEDED, run.error_message
    return run


def test_role_and_license_changes_and_exact_removals_are_kept(organization, standin_server):
    connection = api_key_connection(organization, standin_server)
    sync(connection)
    stakeholder = RemoteAccount.objects.filter(connection=connection, role="read_only_user").first()
    leaver = RemoteAccount.objects.filter(connection=connection, role="user").first()
    control(standin_server, f"/users/{stakeholder.external_id}/role", {"role": "admin"})
    removal = control(standin_server, f"/users/{leaver.external_id}/remove")

    run = sync(connection)

    changes = {
        (change.account_id, change.kind): change
        for change in RemoteAccountChange.objects.filter(connection=connection)
    }
    role = changes[(stakeholder.pk, AccountChangeKind.ROLE)]
    assert (role.before, role.after) == ("read_only_user", "admin")
    license_change = changes[(stakeholder.pk, AccountChangeKind.LICENSE)]
    assert (license_change.before, license_change.after) == (
        "Business (Stakeholder)",
        "Business (Full User)",
    )
    leaver.refresh_from_db()
    assert leaver.removed_at == run.started_at
    assert (
        leaver.removed_at_exact.isoformat().replace("+00:00", "Z") == removal["user"]["removed_at"]
    )
    exact = RemoteAccountChange.objects.get(
        account=leaver, kind=AccountChangeKind.REMOVED, exact=True
    )
    assert exact.at == leaver.removed_at_exact
    assert run.counts["audit_records"]["updated"] == 1


def test_without_the_audit_scope_the_run_says_removals_are_timed_by_sync(
    organization, standin_server
):
    connection = oauth_connection(organization, standin_server, SCOPES_WITHOUT_AUDIT)
    sync(connection)
    leaver = RemoteAccount.objects.filter(connection=connection, role="user").first()
    control(standin_server, f"/users/{leaver.external_id}/remove")
    run = sync(connection)
    leaver.refresh_from_db()
    assert leaver.removed_at and leaver.removed_at_exact is None
    assert any("audit_records.read" in note for note in run.notes)
    connection.refresh_from_db()
    assert connection.status == "connected"  # an optional scope: not "missing permissions"


def test_identities_by_hand_survive_a_sync_and_follow_ups_are_verified(
    organization, standin_server, admin_user
):
    connection = api_key_connection(organization, standin_server)
    sync(connection)
    system = CriticalSystem.objects.create(
        organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
    )
    bot, leaver = RemoteAccount.objects.filter(connection=connection, role="user")[:2]
    services.account_mark_not_staff(
        system=system,
        account_key=bot.external_id,
        not_staff_kind="service",
        reason="Bot",
        expires_on=None,
        acting_user=None,
    )
    review = reviews.review_start(system=system, acting_user=admin_user)
    item = review.items.get(account_key=leaver.external_id)
    reviews.review_item_decide(item=item, decision="revoke", acting_user=admin_user)
    control(standin_server, f"/users/{leaver.external_id}/remove")

    run = sync(connection)
    verify_follow_ups_after_sync(organization.pk, run.pk)

    item.refresh_from_db()
    assert item.follow_up == FollowUpStatus.DONE
    assert pagerduty_accounts(system=system).get(pk=bot.pk).identification == "not_staff"
