"""PagerDuty roles: PagerDuty's order (most to least privileged) and its web UI's labels."""

from integrations.pagerduty.roles import (
    ROLE_CHOICES,
    PagerDutyRole,
    role_is_higher,
    role_label,
    role_rank,
)
from tests.factories import RemoteAccountFactory


def test_roles_are_ordered_from_account_owner_to_limited_stakeholder():
    assert [value for value, _ in ROLE_CHOICES] == [
        "owner",
        "admin",
        "user",
        "limited_user",
        "observer",
        "restricted_access",
        "read_only_user",
        "read_only_limited_user",
    ]
    assert [label for _, label in ROLE_CHOICES] == [
        "Account Owner",
        "Global Admin",
        "Manager",
        "Responder",
        "Observer",
        "Restricted Access",
        "Full Stakeholder",
        "Limited Stakeholder",
    ]


def test_higher_means_more_privileged():
    assert role_is_higher("owner", "admin")
    assert role_is_higher("user", "limited_user")
    assert not role_is_higher("read_only_user", "observer")
    assert not role_is_higher("admin", "admin")
    assert PagerDutyRole.OWNER.rank == 0


def test_an_unknown_role_is_readable_and_ranks_lowest():
    assert role_label("team_responder") == "Team Responder"
    assert role_rank("team_responder") == len(ROLE_CHOICES)
    assert role_is_higher("read_only_limited_user", "team_responder")


def test_a_synced_account_shows_its_role_label(db):
    assert RemoteAccountFactory.build(role="limited_user").role_label == "Responder"
