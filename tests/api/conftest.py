"""Fixtures of the API tests: an API client, tokens of each kind, and a small dataset."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import AccessReviewItem, AccountIdentity, CriticalSystem, SystemKind
from api.models import TokenRole
from checks.evaluation import organization_evaluate
from integrations.models import IncidentStatus
from spend.models import SaasService, ServiceTier, UsageMonth
from tests.access.factories import AccessReviewFactory, ManualSystemFactory
from tests.api.factories import ApiTokenFactory
from tests.factories import (
    ConnectionFactory,
    OrgRoleFactory,
    RemoteAccountFactory,
    RemoteIncidentFactory,
    RemoteLicenseFactory,
    RemoteServiceFactory,
    StaffMemberFactory,
    SyncRunFactory,
)
from tests.foreign_objects import foreign_object_makers
from tests.urlwalk import OrgUrl, org_urls

CHECK_CODE = "incident_closed_within_sla"


@pytest.fixture(autouse=True)
def evidence_root(settings, tmp_path):
    settings.EVIDENCE_ROOT = str(tmp_path / "evidence")


@pytest.fixture
def api():
    return APIClient()


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def make_token(db):
    """A token's secret: `make_token(organization, role, revoked=..., expired=...)`."""
    counter = iter(range(10_000))

    def make(organization, role=TokenRole.MEMBER, *, revoked=False, expired=False) -> str:
        secret = f"spl_fixture-{organization.slug}-{role}-{next(counter):05d}"
        now = timezone.now()
        ApiTokenFactory(
            organization=organization,
            role=role,
            secret=secret,
            revoked_at=now if revoked else None,
            expires_at=now - timedelta(minutes=1) if expired else None,
        )
        return secret

    return make


@pytest.fixture
def member_token(organization, make_token):
    return make_token(organization, TokenRole.MEMBER)


@pytest.fixture
def admin_token(organization, make_token):
    return make_token(organization, TokenRole.ADMIN)


def make_dataset(organization) -> dict:
    """A connection with a service, open/late/resolved incidents, staff and a sync run, with
    the checks evaluated: enough for every endpoint to return rows."""
    now = timezone.now()
    connection = ConnectionFactory(organization=organization, last_synced_at=now)
    service = RemoteServiceFactory(connection=connection, name="Checkout API")
    incidents = [
        RemoteIncidentFactory(
            connection=connection, service=service, created_at_remote=now - timedelta(hours=1)
        ),
        RemoteIncidentFactory(
            connection=connection, service=service, created_at_remote=now - timedelta(days=5)
        ),
        RemoteIncidentFactory(
            connection=connection,
            service=service,
            status=IncidentStatus.RESOLVED,
            created_at_remote=now - timedelta(days=2),
            resolved_at=now - timedelta(days=2) + timedelta(hours=2),
            resolution_note="Fixed; data loss of some carts.",
        ),
    ]
    org_role = OrgRoleFactory(organization=organization, name="SRE")
    staff = [
        StaffMemberFactory(organization=organization, name="Ada Lovelace", org_role=org_role),
        StaffMemberFactory(organization=organization, name="Grace Hopper"),
    ]
    sync_run = SyncRunFactory(connection=connection, status="succeeded", finished_at=now)
    access = make_access_data(organization, connection=connection, staff=staff, now=now)
    spend = make_spend_data(organization, connection=connection, now=now)
    organization_evaluate(organization=organization, now=now)
    return {
        **access,
        **spend,
        "connection": connection,
        "service": service,
        "incidents": incidents,
        "staff": staff,
        "org_role": org_role,
        "sync_run": sync_run,
    }


def make_access_data(organization, *, connection, staff, now) -> dict:
    """PagerDuty as a critical system with accounts identified by email, by hand, not at all
    and one removed; a system kept by hand with a review of two items (one decided)."""
    pagerduty = CriticalSystem.objects.create(
        organization=organization, kind=SystemKind.PAGERDUTY, name="PagerDuty"
    )
    license_ = RemoteLicenseFactory(connection=connection)
    accounts = [
        RemoteAccountFactory(  # auto: Ada's email
            connection=connection,
            name="Ada L.",
            email=staff[0].email,
            role="admin",
            license=license_,
            last_sign_in_at=now - timedelta(days=2),
            on_schedule=True,
            on_escalation_policy=False,
        ),
        RemoteAccountFactory(  # by hand: Grace's, another email
            connection=connection, name="G. Hopper", email="gh@personal.example", role="user"
        ),
        RemoteAccountFactory(  # not identified
            connection=connection, name="Bot", email="bot@example.com", role="observer"
        ),
        RemoteAccountFactory(  # removed
            connection=connection,
            name="Gone",
            email="gone@example.com",
            role="limited_user",
            removed_at=now - timedelta(days=10),
        ),
    ]
    AccountIdentity.objects.create(
        organization=organization,
        system=pagerduty,
        account_key=accounts[1].external_id,
        kind="mapped",
        staff_member=staff[1],
    )
    manual_system = ManualSystemFactory(organization=organization, name="AWS")
    review = AccessReviewFactory(system=manual_system, due_on=now.date() + timedelta(days=14))
    items = [
        AccessReviewItem.objects.create(
            organization=organization,
            review=review,
            account_key=staff[0].email,
            account_name="Ada",
            email=staff[0].email,
            identification="auto",
            staff_member=staff[0],
            staff_name=staff[0].name,
            staff_status="active",
            suggested_decision="keep",
            decision="keep",
            decided_at=now,
        ),
        AccessReviewItem.objects.create(
            organization=organization,
            review=review,
            account_key="old@example.com",
            email="old@example.com",
            identification="not_identified",
            suggested_decision="revoke",
            decision="revoke",
            decided_at=now,
            follow_up="open",
        ),
    ]
    return {
        "pagerduty_system": pagerduty,
        "accounts": accounts,
        "manual_system": manual_system,
        "review": review,
        "review_items": items,
    }


def make_spend_data(organization, *, connection, now) -> dict:
    """The integrated PagerDuty service (a priced tier, three months of usage, one without
    notifications) and one kept by hand."""
    pagerduty = SaasService.objects.create(
        organization=organization, catalog_key="pagerduty", name="PagerDuty", connection=connection
    )
    ServiceTier.objects.create(
        organization=organization,
        service=pagerduty,
        name="Business (Full User)",
        role_group="FullUser",
        price_per_seat_cents=4100,
        seats_bought=10,
    )
    months = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    for index, month in enumerate(months):
        UsageMonth.objects.create(
            organization=organization,
            service=pagerduty,
            month=month,
            incidents=3 + index,
            alerts=10 + index,
            billable_alerts=index,
            notifications=None if index == 0 else 5,
            peak_seats=4,
        )
    manual = SaasService.objects.create(organization=organization, name="Slack")
    ServiceTier.objects.create(
        organization=organization,
        service=manual,
        name="Pro",
        price_per_seat_cents=800,
        seats_used_manual=12,
    )
    return {"saas_service": pagerduty, "manual_service": manual}


@pytest.fixture
def dataset(organization):
    return make_dataset(organization)


def api_urls() -> list[OrgUrl]:
    """Every URL under /api/v1/orgs/<org_slug>/ (found by walking the URLconf)."""
    return [url for url in org_urls() if url.name.startswith("api:")]


def view_methods(url: OrgUrl) -> list[str]:
    view_class = url.callback.cls
    return [
        method
        for method in ("get", "post", "put", "patch", "delete")
        if hasattr(view_class, method)
    ]


def own_url_kwargs(organization) -> dict:
    """An object of `organization` for every URL kwarg (check codes: a real check)."""
    kwargs = {name: make(organization) for name, make in foreign_object_makers().items()}
    kwargs["check_code"] = CHECK_CODE
    return kwargs
