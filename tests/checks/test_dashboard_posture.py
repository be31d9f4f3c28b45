"""The dashboard's compliance panel: every check with its counts, failing checks first, and a
bounded "Needs attention" list of the longest-failing entities grouped by check."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checks.dashboard import needs_attention
from checks.models import CheckStatus, CheckSummary
from checks.registry import check_list
from tests.checks.factories import CheckResultFactory

pytestmark = pytest.mark.django_db

CLOSED = "incident_closed_within_sla"
DATA_LOSS = "incident_data_loss_recorded"


def _summary(organization, code, status, passing=0, due=0, failing=0):
    return CheckSummary.objects.create(
        organization=organization,
        check_code=code,
        status=status,
        passing_count=passing,
        due_count=due,
        failing_count=failing,
        evaluated_at=timezone.now(),
    )


def test_every_check_shows_its_counts_failing_first_with_links(owner_client, organization):
    _summary(organization, CLOSED, CheckStatus.PASSING, passing=12)
    _summary(organization, DATA_LOSS, CheckStatus.FAILING, passing=3, due=2, failing=4)
    html = owner_client.get(reverse("tenants:dashboard", args=[organization.slug])).content.decode()
    posture = html[html.index('id="posture"') :]
    titles = {check.code: check.title for check in check_list()}
    assert posture.index(titles[DATA_LOSS]) < posture.index(titles[CLOSED])
    drill = reverse("checks:check_detail", args=[organization.slug, DATA_LOSS])
    for status, count in (("passing", 3), ("due", 2), ("failing", 4)):
        assert f'{drill}?status={status}">{count}<' in posture
    assert reverse("checks:monitoring", args=[organization.slug]) in posture
    for check in check_list():
        assert check.title in posture


def test_needs_attention_lists_the_longest_failing_of_each_check_first(owner_client, organization):
    now = timezone.now()
    _summary(organization, CLOSED, CheckStatus.FAILING, failing=5)
    _summary(organization, DATA_LOSS, CheckStatus.FAILING, failing=1)
    for days in range(5):
        CheckResultFactory(
            organization=organization,
            check_code=CLOSED,
            entity_id=100 + days,
            entity_label=f"Closed {days}",
            status_since=now - timedelta(days=days),
            detail=f"Open past its SLA by {days} days",
        )
    CheckResultFactory(
        organization=organization,
        check_code=DATA_LOSS,
        entity_id=200,
        entity_label="Data loss one",
        status_since=now,
    )
    CheckResultFactory(  # passing entities are not listed
        organization=organization, check_code=CLOSED, entity_id=300, status=CheckStatus.PASSING
    )
    groups = needs_attention(organization=organization, limit=10, per_check=3)
    assert [group["check"].code for group in groups] == [CLOSED, DATA_LOSS]
    assert [item["result"].entity_id for item in groups[0]["items"]] == [104, 103, 102]
    assert [item["result"].entity_id for item in groups[1]["items"]] == [200]
    # The overall bound wins over the per-check one.
    assert sum(len(g["items"]) for g in needs_attention(organization=organization, limit=2)) == 2

    html = owner_client.get(reverse("tenants:dashboard", args=[organization.slug])).content.decode()
    attention = html[html.index('id="needs-attention"') : html.index('id="posture"')]
    assert "6 failing" in attention
    assert "Open past its SLA by 4 days" in attention and "What to do:" in attention
    assert reverse("incidents:incident_detail", args=[organization.slug, 104]) in attention
    drill = reverse("checks:check_detail", args=[organization.slug, CLOSED])
    assert f"{drill}?status=failing" in attention and "See all 5 failing" in attention
    assert html.index('id="needs-attention"') < html.index('id="posture"')


def test_no_needs_attention_when_nothing_fails(owner_client, organization):
    _summary(organization, CLOSED, CheckStatus.PASSING, passing=2)
    html = owner_client.get(reverse("tenants:dashboard", args=[organization.slug])).content.decode()
    assert "Needs attention" not in html
    assert "No check has been evaluated yet" not in html
