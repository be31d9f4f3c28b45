"""Connection services: connecting queues the first sync, "Sync now" refusals, one status writer."""

from datetime import timedelta

import pytest
import responses
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus, SyncTrigger
from integrations.pagerduty.connect import connect_with_api_key
from integrations.services import (
    SYNC_TASK,
    SyncNotAllowed,
    connection_mark_status,
    connection_revoke,
    connection_sync_request,
)
from tests.factories import ConnectionFactory
from tests.integrations.test_connections import API, users_page

pytestmark = pytest.mark.django_db


class Queue(list):
    """Collects what would be queued, as ``sprintolike.tasks.enqueue`` hands it over."""

    def __call__(self, task_path, *args, **kwargs) -> None:
        self.append((task_path, *args))


@pytest.fixture
def queue(monkeypatch) -> Queue:
    queued = Queue()
    monkeypatch.setattr("django_q.tasks.async_task", queued)
    return queued


def test_connecting_stores_the_connection_and_queues_its_first_sync(
    organization, admin_user, queue, django_capture_on_commit_callbacks
):
    with responses.RequestsMock() as mock:
        mock.get(f"{API}/users", json=users_page())
        with django_capture_on_commit_callbacks(execute=True):
            connection = connect_with_api_key(
                organization=organization,
                api_key="u+abcdefghijklmnop",
                region="us",
                purposes=["incident_management"],
                acting_user=admin_user,
            )

    assert Connection.objects.get(pk=connection.pk).status == ConnectionStatus.CONNECTED
    assert queue == [(SYNC_TASK, connection.pk, SyncTrigger.CONNECT, False)]


def test_the_first_sync_is_queued_only_once_the_connection_is_committed(
    organization, admin_user, queue, django_capture_on_commit_callbacks
):
    with responses.RequestsMock() as mock:
        mock.get(f"{API}/users", json=users_page())
        with django_capture_on_commit_callbacks(execute=False) as pending:
            connect_with_api_key(
                organization=organization,
                api_key="u+abcdefghijklmnop",
                region="us",
                purposes=["incident_management"],
                acting_user=admin_user,
            )

    assert queue == []
    assert len(pending) == 1


def test_reconnecting_a_revoked_account_brings_the_connection_back(
    organization, owner, queue, django_capture_on_commit_callbacks
):
    connection = ConnectionFactory(organization=organization, subdomain="acme")
    connection_revoke(connection=connection, acting_user=owner, purge=False)

    with responses.RequestsMock() as mock:
        mock.get(f"{API}/users", json=users_page())
        with django_capture_on_commit_callbacks(execute=True):
            reconnected = connect_with_api_key(
                organization=organization,
                api_key="u+abcdefghijklmnop",
                region="us",
                purposes=["incident_management"],
                acting_user=owner,
            )

    assert reconnected.pk == connection.pk
    assert reconnected.status == ConnectionStatus.CONNECTED
    assert reconnected.revoked_at is None
    assert len(queue) == 1


def test_sync_now_queues_a_manual_sync(organization):
    connection = ConnectionFactory(organization=organization)
    queued = Queue()

    connection_sync_request(connection=connection, enqueue=queued)

    assert queued == [(SYNC_TASK, connection.pk, SyncTrigger.MANUAL, False)]


@pytest.mark.parametrize(
    "status", [ConnectionStatus.REVOKED, ConnectionStatus.NEEDS_REAUTHORIZATION]
)
def test_sync_now_is_refused_for_a_connection_that_cannot_sync(organization, status):
    connection = ConnectionFactory(organization=organization, status=status)
    queued = Queue()

    with pytest.raises(SyncNotAllowed) as refusal:
        connection_sync_request(connection=connection, enqueue=queued)

    assert "cannot sync" in refusal.value.message
    assert connection.next_step in refusal.value.message
    assert not refusal.value.already_syncing
    assert queued == []


def test_sync_now_is_refused_while_a_sync_is_running(organization):
    connection = ConnectionFactory(
        organization=organization,
        sync_lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    queued = Queue()

    with pytest.raises(SyncNotAllowed) as refusal:
        connection_sync_request(connection=connection, enqueue=queued)

    assert refusal.value.already_syncing
    assert "already running" in refusal.value.message
    assert queued == []


def test_a_problem_state_records_the_error_and_connected_clears_it(organization):
    connection = ConnectionFactory(organization=organization)

    connection_mark_status(
        connection=connection, status=ConnectionStatus.ERROR, error_message="PagerDuty is down."
    )
    assert (connection.status, connection.last_error) == (
        ConnectionStatus.ERROR,
        "PagerDuty is down.",
    )
    assert connection.last_error_at is not None

    connection_mark_status(connection=connection, status=ConnectionStatus.CONNECTED)
    assert (connection.status, connection.last_error, connection.last_error_at) == (
        ConnectionStatus.CONNECTED,
        "",
        None,
    )


def test_a_revoked_connection_stays_revoked_whatever_a_late_sync_reports(organization, owner):
    connection = ConnectionFactory(organization=organization)
    connection_revoke(connection=connection, acting_user=owner, purge=False)

    connection_mark_status(
        connection=connection, status=ConnectionStatus.CONNECTED, synced_at=timezone.now()
    )

    assert Connection.objects.get(pk=connection.pk).status == ConnectionStatus.REVOKED
    assert connection.last_synced_at is None
