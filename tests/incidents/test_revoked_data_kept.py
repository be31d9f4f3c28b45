"""Revoke, keep the data: the kept incidents stay browsable with a banner saying whose
connection was revoked when and by whom; checks say why they no longer apply, and Monitoring
never shows counts from before the revocation as live. Revoke and delete: nothing is left."""

from datetime import timedelta

import pytest
from django.urls import reverse

from integrations.models import SyncRunStatus
from integrations.services import connection_revoke
from tests.checks.conftest import NOW
from tests.factories import SyncRunFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def list_url(organization):
    return reverse("incidents:incident_list", args=[organization.slug])


def monitoring_url(organization):
    return reverse("checks:monitoring", args=[organization.slug])


def banner(connection, owner) -> str:
    return (
        f"Connection to {connection.subdomain} revoked on {NOW:%Y-%m-%d} by {owner.email}; "
        "data kept."
    )


def test_kept_incidents_stay_listed_under_a_revoked_banner(
    member_client, organization, connection, owner, make_incident, evaluate
):
    make_incident(title="Checkout is down", hours_ago=30)
    evaluate(now=NOW - timedelta(hours=1))
    connection_revoke(connection=connection, acting_user=owner, purge=False)

    response = member_client.get(list_url(organization))

    content = response.content.decode()
    assert banner(connection, owner) in content
    assert "Checkout is down" in content
    assert "Not checked" in content
    assert "not connected for incident management" not in content


def test_a_kept_incident_page_says_its_connection_was_revoked(
    member_client, organization, connection, owner, make_incident
):
    incident = make_incident(title="Checkout is down")
    connection_revoke(connection=connection, acting_user=owner, purge=False)

    response = member_client.get(
        reverse("incidents:incident_detail", args=[organization.slug, incident.pk])
    )

    content = response.content.decode()
    assert banner(connection, owner) in content
    assert "is not an incident source" not in content


def test_revoking_and_deleting_the_data_leaves_nothing_to_browse(
    member_client, organization, connection, owner, make_incident
):
    make_incident(title="Checkout is down")
    connection_revoke(connection=connection, acting_user=owner, purge=True)

    content = member_client.get(list_url(organization)).content.decode()

    assert "Checkout is down" not in content
    assert "data kept" not in content
    assert "not connected for incident management" in content


def test_monitoring_shows_the_banner_and_no_counts_from_before_the_revocation(
    member_client, organization, connection, owner, make_incident, evaluate
):
    make_incident(hours_ago=30)
    evaluate(now=NOW - timedelta(hours=1))
    connection_revoke(connection=connection, acting_user=owner, purge=False)

    response = member_client.get(monitoring_url(organization))

    content = response.content.decode()
    assert banner(connection, owner) in content
    row = next(
        r for r in response.context["rows"] if r["check"].code == "incident_closed_within_sla"
    )
    assert row["stale"]
    assert "Counted before the revocation" in content
    assert "Pending re-evaluation" in content


def test_after_evaluation_the_checks_say_the_connection_was_revoked(
    member_client, organization, connection, owner, make_incident, evaluate
):
    make_incident(hours_ago=30)
    connection_revoke(connection=connection, acting_user=owner, purge=False)
    evaluate(now=NOW + timedelta(minutes=5))

    response = member_client.get(monitoring_url(organization))

    content = response.content.decode()
    assert f"The connection to {connection.subdomain} was revoked on {NOW:%Y-%m-%d}" in content
    assert "no longer checked" in content
    row = next(
        r for r in response.context["rows"] if r["check"].code == "incident_closed_within_sla"
    )
    assert not row["stale"]
    assert row["summary"].status == "not_applicable"


def test_revoked_connections_stay_listed_with_their_sync_history(
    member_client, organization, connection, owner
):
    SyncRunFactory(connection=connection, status=SyncRunStatus.SUCCEEDED, request_count=17)
    connection_revoke(connection=connection, acting_user=owner, purge=False)

    listing = member_client.get(
        reverse("integrations:integration_list", args=[organization.slug]), {"tab": "connected"}
    ).content.decode()
    page = member_client.get(
        reverse("integrations:connection_detail", args=[organization.slug, connection.pk])
    ).content.decode()

    assert connection.subdomain in listing
    assert "Revoked" in listing and "data kept" in listing
    assert ">17<" in page  # the sync run is still there


def test_incidents_say_checks_pending_until_the_first_evaluation(
    member_client, organization, make_incident, evaluate
):
    make_incident(title="Fresh incident")
    content = member_client.get(list_url(organization)).content.decode()
    assert "Checks pending" in content

    evaluate()
    content = member_client.get(list_url(organization)).content.decode()
    assert "Checks pending" not in content


def test_incidents_say_which_period_they_cover(member_client, organization, settings, connection):
    settings.INCIDENT_BACKFILL_DAYS = 180
    content = member_client.get(list_url(organization)).content.decode()
    assert "Incidents created in the last 180 days, as synced from PagerDuty." in content


def test_monitoring_explains_that_not_answered_data_loss_passes_until_flagged(
    member_client, organization
):
    content = member_client.get(monitoring_url(organization)).content.decode()
    assert "count as passing until they are flagged" in content
