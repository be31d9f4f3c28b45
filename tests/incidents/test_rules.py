"""The incident rules are written once: the SLA state the check and the page both show, and one
yes/no vocabulary for the data-loss custom field."""

from datetime import UTC, datetime, timedelta

import pytest

from checks.models import CheckStatus
from incidents.models import IncidentPolicy
from incidents.rules import custom_field_says_data_loss, sla_rule, sla_state
from integrations.models import IncidentStatus
from sprintolike.yes_no import yes_no

CREATED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
RULE = sla_rule(policy=IncidentPolicy(), priority_sla={}, urgency="high", priority_id=None)


def state(*, status=IncidentStatus.TRIGGERED, resolved_after=None, now_after=timedelta(hours=1)):
    return sla_state(
        rule=RULE,
        created_at=CREATED,
        status=status,
        resolved_at=CREATED + resolved_after if resolved_after else None,
        last_status_change_at=None,
        now=CREATED + now_after,
    )


def test_open_within_the_sla_is_due_with_time_left():
    open_state = state(now_after=timedelta(hours=20))
    assert open_state.check_status == CheckStatus.DUE
    assert open_state.check_detail == "Open; to be closed within 24 h (high urgency)"
    assert open_state.page_text == "4 h left"


def test_open_past_the_sla_is_failing_and_overdue():
    late = state(now_after=timedelta(hours=30))
    assert (late.check_status, late.late) == (CheckStatus.FAILING, True)
    assert late.page_text == "Overdue by 6 h"


def test_resolved_late_passes_but_says_how_late_in_both_places():
    resolved = state(status=IncidentStatus.RESOLVED, resolved_after=timedelta(hours=25))
    assert resolved.check_status == CheckStatus.PASSING
    assert resolved.check_detail.startswith("Resolved 1 h late")
    assert resolved.page_text == "Resolved 1 h after the deadline"


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        (True, True),
        ("Yes", True),
        (" on ", True),
        ("1", True),
        (["no", "yes"], True),
        ({"value": "y"}, True),
        ("no", False),
        ("off", False),
        ("", False),
        (0, False),
        ("maybe", None),
        (None, None),
    ],
)
def test_one_yes_no_vocabulary(value, answer):
    assert yes_no(value) is answer


def test_the_custom_field_rule_reads_the_shared_vocabulary():
    assert custom_field_says_data_loss(
        custom_fields={"data_loss": "on"}, data_loss_field=None, field_name="data_loss"
    )
    assert not custom_field_says_data_loss(
        custom_fields={"data_loss": "off"}, data_loss_field=True, field_name="data_loss"
    )
