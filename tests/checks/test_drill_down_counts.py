"""A check's drill-down tabs say how many entities each holds."""

import re

import pytest
from django.urls import reverse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def test_drill_down_tabs_show_counts(member_client, organization, make_incident, evaluate):
    make_incident(hours_ago=30)
    make_incident(hours_ago=40)
    make_incident(hours_ago=2)
    make_incident(hours_ago=50, resolved_hours_ago=49)
    evaluate()

    content = member_client.get(
        reverse("checks:check_detail", args=[organization.slug, "incident_closed_within_sla"])
    ).content.decode()

    tabs = dict(
        re.findall(r'\?status=(\w+)"[^>]*>[^<]+ <span class="tab-count">(\d+)</span>', content)
    )
    assert tabs == {"failing": "2", "due": "1", "passing": "1", "special_case": "0", "expired": "0"}
