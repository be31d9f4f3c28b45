"""Invitation emails are limited per organisation per hour and per address per day."""

import pytest
from django.core import mail
from django.urls import reverse

from tenants.models import Invitation
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.INVITATIONS_PER_ORG_PER_HOUR = 4
    settings.INVITATIONS_PER_EMAIL_PER_DAY = 2


def invite(client, organization, email):
    return client.post(
        reverse("tenants:invitation_create", args=[organization.slug]),
        {"email": email, "role": "member"},
    )


def test_the_same_address_is_invited_at_most_the_daily_limit(owner_client, organization):
    for _ in range(2):
        assert invite(owner_client, organization, "guest@example.com").status_code == 302

    refused = invite(owner_client, organization, "Guest@Example.com")

    assert refused.status_code == 400
    assert "invited 2 times in the last 24 hours" in refused.content.decode()
    assert 'id="id_email_error"' in refused.content.decode()
    assert len(mail.outbox) == 2
    assert Invitation.objects.filter(email="guest@example.com").count() == 2


def test_the_address_limit_holds_across_organisations(owner_client, organization, owner):
    other = OrganizationFactory()
    MembershipFactory(organization=other, user=owner, role="owner")
    invite(owner_client, organization, "guest@example.com")
    invite(owner_client, other, "guest@example.com")

    assert invite(owner_client, other, "guest@example.com").status_code == 400
    assert len(mail.outbox) == 2


def test_an_organisation_sends_at_most_the_hourly_limit(owner_client, organization):
    for number in range(4):
        assert invite(owner_client, organization, f"guest{number}@example.com").status_code == 302

    refused = invite(owner_client, organization, "one-more@example.com")

    assert refused.status_code == 400
    assert "sent 4 invitations in the last hour" in refused.content.decode()
    assert not Invitation.objects.filter(email="one-more@example.com").exists()
    assert len(mail.outbox) == 4


def test_another_organisation_is_not_held_back(owner_client, organization, owner):
    other = OrganizationFactory()
    MembershipFactory(organization=other, user=owner, role="owner")
    for number in range(4):
        invite(owner_client, organization, f"guest{number}@example.com")

    assert invite(owner_client, other, "fresh@example.com").status_code == 302


def test_a_refused_invitation_does_not_count(owner_client, organization):
    for _ in range(3):
        invite(owner_client, organization, "guest@example.com")

    assert invite(owner_client, organization, "someone@example.com").status_code == 302
    assert invite(owner_client, organization, "another@example.com").status_code == 302


def test_the_limit_lifts_when_the_window_has_passed(owner_client, organization, monkeypatch):
    import time

    for _ in range(2):
        invite(owner_client, organization, "guest@example.com")
    now = time.time()
    monkeypatch.setattr("tenants.throttles.time.time", lambda: now + 24 * 3600 + 1)

    assert invite(owner_client, organization, "guest@example.com").status_code == 302
