"""Access reviews: a frozen snapshot with suggestions, decisions, evidence, the diff with the
last review, and follow-ups that a sync verifies."""

import csv
import io
from datetime import date, timedelta

import pytest

from access import reviews, services
from access.models import FollowUpStatus, ReviewChange, ValidAccessMode
from access.services import AccessError
from access.tasks import verify_follow_ups_after_sync
from integrations.hooks import after_sync_tasks
from tenants.models import StaffStatus
from tests.access.conftest import LAST_WORKING_DAY, NOW
from tests.factories import SyncRunFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(system, sre, make_staff, make_account):
    services.valid_access_configure(
        system=system,
        mode=ValidAccessMode.ROLE_BASED,
        allowances={sre: "user"},
        grace_days=0,
        acting_user=None,
    )
    make_staff(email="ok@example.com", org_role=sre)
    make_staff(email="boss@example.com", org_role=sre)
    make_staff(
        email="left@example.com", status=StaffStatus.OFFBOARDED, last_working_day=LAST_WORKING_DAY
    )
    return {
        "ok": make_account(external_id="POK", email="ok@example.com", role="user", name="Ok"),
        "excess": make_account(
            external_id="PBOSS", email="boss@example.com", role="admin", name="Boss"
        ),
        "leaver": make_account(
            external_id="PLEFT", email="left@example.com", role="user", name="Left"
        ),
        "unknown": make_account(
            external_id="PWHO", email="who@example.net", role="observer", name="Who"
        ),
    }


def items_by_key(review):
    return {item.account_key: item for item in review.items.all()}


def test_starting_a_review_freezes_every_account_with_a_suggested_decision(
    system, accounts, admin_user
):
    review = reviews.review_start(system=system, acting_user=admin_user, now=NOW)
    items = items_by_key(review)
    assert {key: item.suggested_decision for key, item in items.items()} == {
        "POK": "keep",
        "PBOSS": "downgrade",
        "PLEFT": "revoke",
        "PWHO": "revoke",
    }
    assert items["PBOSS"].role == "admin" and items["PLEFT"].staff_status == "offboarded"
    # The snapshot does not move when the account does.
    accounts["excess"].role = "owner"
    accounts["excess"].save()
    assert items_by_key(review)["PBOSS"].role == "admin"
    with pytest.raises(AccessError):
        reviews.review_start(system=system, acting_user=admin_user, now=NOW)


def test_review_completes_when_every_account_is_decided_and_stores_dated_evidence(
    system, accounts, admin_user, evidence_root
):
    review = reviews.review_start(system=system, acting_user=admin_user, now=NOW)
    items = items_by_key(review)
    reviews.review_item_decide(item=items["POK"], decision="keep", acting_user=admin_user, now=NOW)
    with pytest.raises(AccessError):
        reviews.review_item_decide(
            item=items["PBOSS"], decision="downgrade", downgrade_to="owner", acting_user=admin_user
        )
    reviews.review_item_decide(
        item=items["PBOSS"],
        decision="downgrade",
        downgrade_to="user",
        comment="Not an admin",
        acting_user=admin_user,
        now=NOW,
    )
    reviews.review_item_decide(
        item=items["PLEFT"], decision="revoke", acting_user=admin_user, now=NOW
    )
    review.refresh_from_db()
    assert review.completed_at is None
    reviews.review_item_decide(
        item=items["PWHO"], decision="revoke", acting_user=admin_user, now=NOW
    )
    review.refresh_from_db()
    assert review.completed_at == NOW
    assert review.evidence.name.endswith(f"access-review-pagerduty-{NOW:%Y-%m-%d}.csv")
    rows = list(csv.DictReader(io.StringIO(review.evidence.read().decode())))
    assert {row["account"]: row["decision"] for row in rows} == {
        "POK": "keep",
        "PBOSS": "downgrade",
        "PLEFT": "revoke",
        "PWHO": "revoke",
    }
    assert {row["account"]: row["follow_up"] for row in rows}["PBOSS"] == "open"
    with pytest.raises(AccessError):
        reviews.review_item_decide(item=items["POK"], decision="revoke", acting_user=admin_user)


def test_next_review_marks_accounts_new_and_removed_since_the_last_one(
    system, accounts, admin_user, make_account
):
    first = reviews.review_start(system=system, acting_user=admin_user, now=NOW)
    for item in first.items.all():
        reviews.review_item_decide(item=item, decision="keep", acting_user=admin_user, now=NOW)
    accounts["unknown"].removed_at = NOW + timedelta(days=1)
    accounts["unknown"].save()
    make_account(external_id="PNEW", email="new@example.net", name="New")

    second = reviews.review_start(
        system=system, acting_user=admin_user, now=NOW + timedelta(days=2)
    )
    items = items_by_key(second)
    assert items["PNEW"].change == ReviewChange.NEW
    assert items["PWHO"].change == ReviewChange.REMOVED
    assert items["POK"].change == ReviewChange.NONE
    assert not items["PWHO"].needs_decision


def test_follow_ups_are_verified_by_the_sync_after_the_account_is_removed_or_lowered(
    system, organization, connection, accounts, admin_user
):
    assert "access.tasks.verify_follow_ups_after_sync" in after_sync_tasks()
    review = reviews.review_start(system=system, acting_user=admin_user, now=NOW)
    items = items_by_key(review)
    reviews.review_item_decide(item=items["PLEFT"], decision="revoke", acting_user=admin_user)
    reviews.review_item_decide(
        item=items["PBOSS"], decision="downgrade", downgrade_to="user", acting_user=admin_user
    )
    run = SyncRunFactory(connection=connection)
    assert verify_follow_ups_after_sync(organization.pk, run.pk) == 0

    accounts["leaver"].removed_at = NOW + timedelta(days=1)
    accounts["leaver"].save()
    assert verify_follow_ups_after_sync(organization.pk, run.pk) == 1
    items = items_by_key(review)
    assert items["PLEFT"].follow_up == FollowUpStatus.DONE
    assert items["PBOSS"].follow_up == FollowUpStatus.OPEN

    accounts["excess"].role = "limited_user"
    accounts["excess"].save()
    verify_follow_ups_after_sync(organization.pk, run.pk)
    assert items_by_key(review)["PBOSS"].follow_up == FollowUpStatus.DONE


def test_reviewers_get_a_reminder_once_a_day_when_due_soon(
    system, accounts, admin_user, mailoutbox
):
    review = reviews.review_start(
        system=system, acting_user=admin_user, reviewer=admin_user, due_on=date(2026, 3, 4), now=NOW
    )
    assert reviews.review_reminders_send(now=NOW) == 1
    assert reviews.review_reminders_send(now=NOW) == 0
    assert "Access review of PagerDuty is due on 2026-03-04" in mailoutbox[0].subject
    assert review.reviewer == admin_user
