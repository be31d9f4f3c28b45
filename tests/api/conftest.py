"""Fixtures of the API tests: an API client, tokens of each kind, and a small dataset."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import TokenRole
from checks.evaluation import organization_evaluate
from integrations.models import IncidentStatus
from tests.api.factories import ApiTokenFactory
from tests.factories import (
    ConnectionFactory,
    OrgRoleFactory,
    RemoteIncidentFactory,
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
    organization_evaluate(organization=organization, now=now)
    return {
        "connection": connection,
        "service": service,
        "incidents": incidents,
        "staff": staff,
        "org_role": org_role,
        "sync_run": sync_run,
    }


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
