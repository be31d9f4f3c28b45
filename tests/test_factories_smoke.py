import pytest

from tests.factories import RemoteIncidentFactory, RemoteIncidentStatusChangeFactory


@pytest.mark.django_db
def test_incident_factory_keeps_service_in_the_same_connection():
    incident = RemoteIncidentFactory()
    assert incident.service.connection == incident.connection
    assert incident.organization == incident.connection.organization
    change = RemoteIncidentStatusChangeFactory(incident=incident)
    assert change.organization == incident.organization
    assert type(incident.connection).objects.get().api_key == "test-api-key"
