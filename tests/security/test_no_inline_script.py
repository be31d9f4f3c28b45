"""The tenants and account pages run no inline script, ready for a CSP without 'unsafe-inline'."""

import re

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, OrgRoleFactory, StaffMemberFactory

pytestmark = pytest.mark.django_db

INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.IGNORECASE)


def assert_no_inline_script(html: str, url: str) -> None:
    assert not INLINE_HANDLER.search(html), f"inline event handler on {url}"
    assert not INLINE_SCRIPT.search(html), f"inline <script> on {url}"


def test_tenants_pages_have_no_inline_script(owner_client, organization):
    MembershipFactory(organization=organization)
    OrgRoleFactory(organization=organization)
    StaffMemberFactory(organization=organization)
    for name in (
        "dashboard",
        "member_list",
        "org_role_list",
        "staff_list",
        "staff_create",
        "staff_import",
        "audit_log",
    ):
        url = reverse(f"tenants:{name}", args=[organization.slug])
        response = owner_client.get(url)
        assert response.status_code == 200, url
        assert_no_inline_script(response.content.decode(), url)


def test_account_pages_have_no_inline_script(client, owner):
    for name in ("account_login", "account_signup", "account_reset_password"):
        url = reverse(name)
        assert_no_inline_script(client.get(url).content.decode(), url)
    client.force_login(owner)
    for name in ("account_email", "mfa_index", "org_create"):
        url = reverse(name)
        assert_no_inline_script(client.get(url).content.decode(), url)
