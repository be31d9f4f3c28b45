"""Revoking a connection re-evaluates the organisation's checks at once: Monitoring shows what
applies after the revocation without waiting for the scheduled (hourly) evaluation."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.urls import reverse

from checks.models import CheckStatus, CheckSummary
from checks.tasks import EVALUATE_ORGANIZATION_TASK
from integrations.models import ConnectionStatus
from integrations.services import connection_revoke
from spend.services import service_add_pagerduty
from tests.checks.conftest import NOW

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

CHECK = "incident_closed_within_sla"


class RunNow(list):
    """Stands in for django-q2's ``async_task``: records each task and runs it at once, as a
    worker would."""

    def __call__(self, task_path, *args, **kwargs) -> None:
        self.append(task_path)
        module_path, name = task_path.rsplit(".", 1)
        getattr(import_module(module_path), name)(*args)


@pytest.fixture
def worker(monkeypatch) -> RunNow:
    ran = RunNow()
    monkeypatch.setattr("django_q.tasks.async_task", ran)
    return ran


@pytest.fixture
def failing_before(organization, make_incident, evaluate):
    """An incident open past its SLA, evaluated an hour before the revocation: failing."""
    make_incident(title="Checkout is down", hours_ago=30)
    evaluate(now=NOW - timedelta(hours=1))
    assert CheckSummary.objects.get(organization=organization, check_code=CHECK).status == (
        CheckStatus.FAILING
    )


def monitoring_row(client, organization):
    response = client.get(reverse("checks:monitoring", args=[organization.slug]))
    row = next(r for r in response.context["rows"] if r["check"].code == CHECK)
    return row, response.content.decode()


@pytest.mark.usefixtures("failing_before")
def test_revoking_on_the_connection_page_re_evaluates_the_checks_at_once(
    owner_client, organization, connection, worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            reverse("integrations:connection_revoke", args=[organization.slug, connection.pk]),
            {"data": "keep", "confirm": "on"},
        )
    assert response.status_code == 302

    row, content = monitoring_row(owner_client, organization)

    assert worker == [EVALUATE_ORGANIZATION_TASK]
    assert not row["stale"]
    assert row["summary"].status == CheckStatus.NOT_APPLICABLE
    assert row["summary"].failing_count == 0
    assert "Pending re-evaluation" not in content
    assert f"The connection to {connection.subdomain} was revoked on {NOW:%Y-%m-%d}" in content


@pytest.mark.usefixtures("failing_before")
def test_revoking_from_spend_re_evaluates_the_checks_at_once(
    owner_client, organization, owner, connection, worker, django_capture_on_commit_callbacks
):
    service = service_add_pagerduty(organization=organization, acting_user=owner)

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            reverse("spend:service_revoke", args=[organization.slug, service.pk]),
            {"data": "keep", "confirm": "on"},
        )

    row, _ = monitoring_row(owner_client, organization)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.REVOKED
    assert worker == [EVALUATE_ORGANIZATION_TASK]
    assert not row["stale"]
    assert row["summary"].status == CheckStatus.NOT_APPLICABLE


@pytest.mark.usefixtures("failing_before")
def test_revoking_and_deleting_the_data_leaves_no_failing_entity(
    member_client, organization, owner, connection, worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        connection_revoke(connection=connection, acting_user=owner, purge=True)

    row, content = monitoring_row(member_client, organization)

    assert worker == [EVALUATE_ORGANIZATION_TASK]
    assert row["summary"].status == CheckStatus.NOT_APPLICABLE
    assert row["summary"].failing_count == 0
    assert "Checkout is down" not in content


def test_the_evaluation_is_queued_only_once_the_revocation_commits(
    organization, owner, connection, worker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        connection_revoke(connection=connection, acting_user=owner, purge=False)

    assert worker == []
    for callback in pending:
        callback()
    assert worker == [EVALUATE_ORGANIZATION_TASK]
