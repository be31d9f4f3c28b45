"""Fixtures of the checks tests: an organisation connected to PagerDuty, a fixed clock, and
incidents made to measure."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from checks.evaluation import organization_evaluate
from checks.models import CheckResult
from integrations.models import IncidentStatus
from tests.factories import ConnectionFactory, RemoteIncidentFactory, RemoteServiceFactory

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    """Evidence files of a test land in its own temporary directory."""
    settings.EVIDENCE_ROOT = str(tmp_path / "evidence")
    return tmp_path / "evidence"


@pytest.fixture
def frozen_clock():
    """Pages and commands read the clock themselves: stop it at NOW."""
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        yield NOW


@pytest.fixture
def connection(organization):
    return ConnectionFactory(organization=organization, last_synced_at=timezone.now())


@pytest.fixture
def service(connection):
    return RemoteServiceFactory(connection=connection, name="Checkout API")


@pytest.fixture
def make_incident(service):
    """An incident of `service` created `hours_ago` hours before NOW (or at `created_at`)."""

    def make(*, hours_ago: float = 1, resolved_hours_ago: float | None = None, **fields):
        fields.setdefault("created_at_remote", NOW - timedelta(hours=hours_ago))
        if resolved_hours_ago is not None:
            fields.setdefault("status", IncidentStatus.RESOLVED)
            fields.setdefault("resolved_at", NOW - timedelta(hours=resolved_hours_ago))
        fields.setdefault("service", service)
        fields.setdefault("connection", fields["service"].connection)
        return RemoteIncidentFactory(**fields)

    return make


@pytest.fixture
def evaluate(organization):
    """Evaluate every check of the organisation at NOW (or `now`)."""

    def run(now=NOW, **kwargs):
        return organization_evaluate(organization=organization, now=now, **kwargs)

    return run


def result_of(incident, check_code: str) -> CheckResult | None:
    return CheckResult.objects.filter(
        organization=incident.organization,
        check_code=check_code,
        entity_type="incident",
        entity_id=incident.pk,
    ).first()
