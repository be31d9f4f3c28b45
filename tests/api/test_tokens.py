"""Settings > API tokens, `create_api_token`, and how tokens are stored, used and never logged."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, hash_api_token
from api.services import ApiTokenError, api_token_create
from tenants.models import AuditEvent, Role
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def test_admin_creates_a_token_shown_once_and_stored_hashed(admin_client, organization):
    page = reverse("api_tokens:api_token_list", args=[organization.slug])
    response = admin_client.post(
        page, {"name": "Nightly export", "role": "member", "expires_days": "30"}
    )
    assert response.status_code == 201
    secret = response.context["secret"]
    assert secret.startswith("spl_") and secret.encode() in response.content
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )
    token = ApiToken.objects.get(organization=organization)
    assert token.token_hash == hash_api_token(secret) and secret not in str(vars(token))
    assert token.last_four == secret[-4:]
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)

    listing = admin_client.get(page)
    assert secret.encode() not in listing.content
    assert f"spl_…{token.last_four}".encode() in listing.content
    event = AuditEvent.objects.get(action="api_token.create")
    assert secret not in str(event.details) and event.details["last_four"] == token.last_four
    log = admin_client.get(reverse("tenants:audit_log", args=[organization.slug]))
    assert f"Created member API token “Nightly export” (…{token.last_four})".encode() in log.content


def test_revoking_refuses_the_token_at_once(admin_client, api, organization):
    created = api_token_create(organization=organization, name="CI", role="admin", acting_user=None)
    checks = reverse("api:checks:check_list", args=[organization.slug])
    assert api.get(checks, **bearer(created.secret)).status_code == 200
    response = admin_client.post(
        reverse("api_tokens:api_token_revoke", args=[organization.slug, created.token.pk])
    )
    assert response.status_code == 302
    assert api.get(checks, **bearer(created.secret)).status_code == 401
    assert AuditEvent.objects.filter(action="api_token.revoke").count() == 1
    assert (
        b"Revoked"
        in admin_client.get(reverse("api_tokens:api_token_list", args=[organization.slug])).content
    )


def test_members_cannot_manage_tokens(member_client, organization):
    page = reverse("api_tokens:api_token_list", args=[organization.slug])
    assert member_client.get(page).status_code == 403
    assert member_client.post(page, {"name": "x", "role": "admin"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_invalid_form_is_400_with_the_field(admin_client, organization):
    page = reverse("api_tokens:api_token_list", args=[organization.slug])
    response = admin_client.post(page, {"name": "", "role": "owner", "expires_days": "0"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"name", "role", "expires_days"}


def test_create_api_token_prints_the_token_alone_on_its_last_line(api, organization):
    out = StringIO()
    call_command(
        "create_api_token",
        "--org",
        organization.slug,
        "--name",
        "CI",
        "--role",
        "admin",
        "--expires-days",
        "7",
        stdout=out,
    )
    secret = out.getvalue().strip().splitlines()[-1]
    assert secret.startswith("spl_") and " " not in secret
    assert ApiToken.objects.get().role == "admin"
    assert (
        api.get(
            reverse("api:checks:check_list", args=[organization.slug]), **bearer(secret)
        ).status_code
        == 200
    )
    with pytest.raises(CommandError):
        call_command("create_api_token", "--org", "nope", "--name", "x", "--role", "member")


def test_last_used_is_written_at_most_once_a_minute(api, organization, member_token):
    checks = reverse("api:checks:check_list", args=[organization.slug])
    api.get(checks, **bearer(member_token))
    token = ApiToken.objects.get()
    first = token.last_used_at
    assert first is not None
    api.get(checks, **bearer(member_token))
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    api.get(checks, **bearer(member_token))
    assert ApiToken.objects.get().last_used_at > first


def test_tokens_never_reach_the_logs(api, organization, member_token, caplog):
    caplog.set_level(logging.DEBUG)
    revoked = api_token_create(
        organization=organization, name="old", role="member", acting_user=None
    )
    ApiToken.objects.filter(pk=revoked.token.pk).update(revoked_at=timezone.now())
    base = reverse("api:checks:check_list", args=[organization.slug])
    api.get(base, **bearer(member_token))
    api.get(base, **bearer(revoked.secret))  # 401: logged as a warning
    api.post(
        reverse("api:tenants:staff_list", args=[organization.slug]), {}, **bearer(member_token)
    )
    api.get(reverse("api:checks:check_list", args=["other"]), **bearer(member_token))
    assert caplog.records, "requests were logged"
    assert member_token not in caplog.text and revoked.secret not in caplog.text
    assert member_token[4:] not in caplog.text


def test_no_token_acts_as_an_owner(organization):
    with pytest.raises(ApiTokenError):
        api_token_create(organization=organization, name="x", role=Role.OWNER, acting_user=None)


def test_each_token_has_its_own_rate_limit(api, organization, make_token, monkeypatch):
    from api.throttling import ApiTokenRateThrottle

    monkeypatch.setattr(ApiTokenRateThrottle, "THROTTLE_RATES", {"api": "2/min"})
    busy, other = make_token(organization), make_token(organization)
    checks = reverse("api:checks:check_list", args=[organization.slug])
    assert [api.get(checks, **bearer(busy)).status_code for _ in range(2)] == [200, 200]
    throttled = api.get(checks, **bearer(busy))
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert "Retry-After" in throttled
    assert api.get(checks, **bearer(other)).status_code == 200
