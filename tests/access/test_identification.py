"""Identification: accounts map to staff by email or alternate email (any case); a decision by
hand wins and survives every sync, also when the account disappears and comes back."""

from datetime import timedelta

import pytest

from access import services
from access.accounts import pagerduty_accounts
from access.rules import Identification
from integrations.models import RemoteAccount
from integrations.pagerduty.sync import mapping
from integrations.pagerduty.sync.upsert import mark_removed, upsert_page
from tenants.models import StaffAlternateEmail
from tests.access.conftest import NOW

pytestmark = pytest.mark.django_db


def identify(system, account):
    row = pagerduty_accounts(system=system).get(pk=account.pk)
    return Identification(row.identification), row.staff_id


def pagerduty_user(account, **fields):
    user = {
        "id": account.external_id,
        "name": account.name,
        "email": account.email,
        "role": account.role,
    }
    user.update(fields)
    return user


def sync_users(connection, users, now):
    """What the users step does with a complete /users listing."""
    records = {user["id"]: mapping.account_fields(user) for user in users}
    upsert_page(RemoteAccount, connection=connection, records=records, now=now)
    mark_removed(RemoteAccount, connection=connection, seen_external_ids=set(records), now=now)


def test_account_maps_to_staff_by_email_whatever_its_case(system, make_staff, make_account):
    ada = make_staff(email="Ada.Lovelace@Example.com")
    account = make_account(email="ada.lovelace@example.com")
    assert identify(system, account) == (Identification.AUTO, ada.pk)


def test_pagerduty_email_in_mixed_case_is_matched_after_sync(system, connection, make_staff):
    ada = make_staff(email="ada@example.com")
    sync_users(
        connection, [{"id": "PADA", "name": "Ada", "email": "ADA@Example.COM", "role": "user"}], NOW
    )
    account = RemoteAccount.objects.get(external_id="PADA")
    assert identify(system, account) == (Identification.AUTO, ada.pk)


def test_account_maps_by_alternate_email(system, organization, make_staff, make_account):
    grace = make_staff(email="grace@example.com")
    StaffAlternateEmail.objects.create(
        organization=organization, staff_member=grace, email="G.Hopper@Old-Domain.com"
    )
    account = make_account(email="g.hopper@old-domain.com")
    assert identify(system, account) == (Identification.AUTO, grace.pk)


def test_unknown_email_is_not_identified_and_invited_accounts_count(system, make_account):
    account = make_account(email="stranger@example.net", invitation_pending=True)
    assert identify(system, account) == (Identification.NOT_IDENTIFIED, None)


def test_mapping_by_hand_wins_over_the_email_match(system, make_staff, make_account):
    make_staff(email="shared@example.com")
    owner = make_staff(email="owner@example.com")
    account = make_account(email="shared@example.com")
    services.account_map(
        system=system, account_key=account.external_id, staff_member=owner, acting_user=None
    )
    assert identify(system, account) == (Identification.MANUAL, owner.pk)


def test_mark_and_mapping_survive_syncs_and_a_reappearing_account(
    system, connection, make_staff, make_account
):
    owner = make_staff(email="owner@example.com")
    bot = make_account(external_id="PBOT", email="bot@example.com")
    alias = make_account(external_id="PALIAS", email="alias@example.com")
    services.account_mark_not_staff(
        system=system,
        account_key=bot.external_id,
        not_staff_kind="service",
        reason="Monitoring integration",
        expires_on=None,
        acting_user=None,
    )
    services.account_map(
        system=system, account_key=alias.external_id, staff_member=owner, acting_user=None
    )
    # A sync sees both accounts unchanged, then both gone, then both back.
    sync_users(connection, [pagerduty_user(bot), pagerduty_user(alias)], NOW)
    sync_users(connection, [], NOW + timedelta(hours=1))
    bot.refresh_from_db()
    assert bot.removed_at is not None
    sync_users(connection, [pagerduty_user(bot), pagerduty_user(alias)], NOW + timedelta(hours=2))
    bot.refresh_from_db()
    assert bot.removed_at is None
    assert identify(system, bot) == (Identification.NOT_STAFF, None)
    assert identify(system, alias) == (Identification.MANUAL, owner.pk)


def test_undo_returns_to_the_automatic_mapping(system, make_staff, make_account):
    ada = make_staff(email="ada@example.com")
    account = make_account(email="ada@example.com")
    services.account_mark_not_staff(
        system=system,
        account_key=account.external_id,
        not_staff_kind="shared",
        reason="Shared by the NOC",
        expires_on=None,
        acting_user=None,
    )
    services.account_identity_undo(system=system, account_key=account.external_id, acting_user=None)
    assert identify(system, account) == (Identification.AUTO, ada.pk)


def test_an_expired_mark_no_longer_holds(system, make_account):
    account = make_account(email="contractor@vendor.example")
    services.account_mark_not_staff(
        system=system,
        account_key=account.external_id,
        not_staff_kind="external",
        reason="Vendor support during migration",
        expires_on=(NOW - timedelta(days=1)).date(),
        acting_user=None,
    )
    row = pagerduty_accounts(system=system, on=NOW.date()).get(pk=account.pk)
    assert row.identification == Identification.NOT_IDENTIFIED
    row = pagerduty_accounts(system=system, on=(NOW - timedelta(days=2)).date()).get(pk=account.pk)
    assert row.identification == Identification.NOT_STAFF
