"""Failed sign-ins are throttled per client IP (the real one, behind proxies) and per account."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account import app_settings as account_settings
from allauth.core.internal.ratelimit import parse_rates
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PROXY_IP = "10.0.0.1"


def login_failed_limit(per: str) -> int:
    rates = parse_rates(account_settings.RATE_LIMITS["login_failed"])
    return next(rate.amount for rate in rates if rate.per == per)


def sign_in(client, email: str, password: str, *, client_ip: str | None = None):
    headers = {"REMOTE_ADDR": PROXY_IP}
    if client_ip:
        headers["HTTP_X_FORWARDED_FOR"] = client_ip
    client.logout()
    client.post(reverse("account_login"), {"login": email, "password": password}, **headers)
    return "_auth_user_id" in client.session


def fail_from(client, client_ip: str, attempts: int) -> None:
    """`attempts` failures from one client IP, spread over accounts so no account is throttled."""
    per_key = login_failed_limit("key")
    for attempt in range(attempts):
        sign_in(
            client, f"nobody{attempt // (per_key - 1)}@example.com", "wrong", client_ip=client_ip
        )


def test_users_behind_one_proxy_are_throttled_by_their_own_ip(settings, client):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    bob, carol = UserFactory(), UserFactory()

    fail_from(client, "203.0.113.5", login_failed_limit("ip"))

    assert not sign_in(client, carol.email, TEST_PASSWORD, client_ip="203.0.113.5")
    assert sign_in(client, bob.email, TEST_PASSWORD, client_ip="198.51.100.7")


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_ignored(client):
    user = UserFactory()
    per_ip = login_failed_limit("ip")
    for attempt in range(per_ip):
        sign_in(
            client, f"nobody{attempt // 4}@example.com", "wrong", client_ip=f"192.0.2.{attempt}"
        )

    assert not sign_in(client, user.email, TEST_PASSWORD, client_ip="192.0.2.200")


def test_one_accounts_failures_from_many_ips_lock_that_account(settings, client):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    victim, bystander = UserFactory(), UserFactory()
    for attempt in range(login_failed_limit("key")):
        sign_in(client, victim.email, "wrong", client_ip=f"198.51.100.{attempt + 1}")

    assert not sign_in(client, victim.email, TEST_PASSWORD, client_ip="198.51.100.99")
    assert not sign_in(client, victim.email.upper(), TEST_PASSWORD, client_ip="198.51.100.98")
    assert sign_in(client, bystander.email, TEST_PASSWORD, client_ip="198.51.100.99")


def test_wrong_mfa_codes_count_against_the_account(client):
    from tests.security.mfa import totp_code, totp_enable

    user = UserFactory()
    secret = totp_enable(user)
    client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    for _ in range(login_failed_limit("key")):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert "_auth_user_id" not in client.session


def settings_in_production(**env: str) -> str:
    """The cache backend the real settings choose, read in a fresh process."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_DEBUG"}
    }
    environment.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 60,
        CREDENTIALS_ENCRYPTION_KEYS="q2XbZ3i5xW8X2gD9S8k4c3H1u1jzq9L4j8l6p0kP5mE=",
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", "from sprintolike import settings; print(settings.CACHES)"],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_production_throttles_live_in_a_cache_every_process_shares():
    without_redis = settings_in_production()
    assert "DatabaseCache" in without_redis and "'MAX_ENTRIES': 100000" in without_redis
    assert "RedisCache" in settings_in_production(REDIS_URL="redis://127.0.0.1:6379/0")


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses a test transaction
def test_migrate_creates_the_database_cache_table():
    migration = importlib.import_module("tenants.migrations.0003_cache_table")
    database_cache = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "sprintolike_test_cache",
        }
    }
    try:
        with (
            override_settings(CACHES=database_cache),
            connection.schema_editor() as schema_editor,
        ):
            migration.create_cache_table(None, schema_editor)
            migration.create_cache_table(None, schema_editor)
        assert "sprintolike_test_cache" in connection.introspection.table_names()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS sprintolike_test_cache")
