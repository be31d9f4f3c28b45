"""TOTP secrets and recovery seeds are encrypted at rest, rotate with the credentials keys, and
never appear in the admin."""

import importlib

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection
from django.urls import reverse

from sprintolike import crypto
from tenants.mfa_secrets import authenticators_encrypt, is_encrypted, mfa_secrets_reencrypt
from tests.factories import TEST_PASSWORD, UserFactory
from tests.security.mfa import totp_code, totp_enable

pytestmark = pytest.mark.django_db

PLAINTEXT_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PLAINTEXT_SEED = "0123456789abcdef" * 5


def raw_data_column(authenticator: Authenticator) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE id = %s", [authenticator.pk])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else str(value)


def sign_in_with_totp(client, user, secret) -> None:
    client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})


def test_stored_totp_secret_is_not_the_plaintext(user):
    secret = totp_enable(user)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    stored = authenticator.data["secret"]
    assert stored != secret and is_encrypted(stored)
    assert secret not in raw_data_column(authenticator)
    assert crypto.decrypt(stored) == secret


def test_totp_login_works_with_the_encrypted_secret(client, user):
    secret = totp_enable(user)
    sign_in_with_totp(client, user, secret)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_recovery_seed_is_encrypted_and_its_codes_still_sign_in(client, user):
    totp_enable(user)
    codes = RecoveryCodes.activate(user)
    assert is_encrypted(codes.instance.data["seed"])
    first_code = codes.generate_codes()[0]
    client.post(reverse("account_login"), {"login": user.email, "password": TEST_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": first_code})
    assert client.session["_auth_user_id"] == str(user.pk)


def plaintext_authenticators() -> tuple[Authenticator, Authenticator]:
    user = UserFactory()
    totp = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": PLAINTEXT_SECRET}
    )
    recovery = Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": PLAINTEXT_SEED, "used_mask": 5, "migrated_codes": ["12345678"]},
    )
    return totp, recovery


def test_a_row_stored_before_encryption_still_signs_in(client):
    totp, _ = plaintext_authenticators()
    sign_in_with_totp(client, totp.user, PLAINTEXT_SECRET)
    assert client.session["_auth_user_id"] == str(totp.user.pk)


def test_data_migration_encrypts_plaintext_rows_once():
    migration = importlib.import_module("tenants.migrations.0002_encrypt_mfa_secrets")
    totp, recovery = plaintext_authenticators()

    migration.encrypt_mfa_secrets(apps, None)

    totp.refresh_from_db()
    recovery.refresh_from_db()
    assert is_encrypted(totp.data["secret"])
    assert crypto.decrypt(totp.data["secret"]) == PLAINTEXT_SECRET
    assert crypto.decrypt(recovery.data["seed"]) == PLAINTEXT_SEED
    assert [crypto.decrypt(code) for code in recovery.data["migrated_codes"]] == ["12345678"]
    assert recovery.data["used_mask"] == 5
    assert PLAINTEXT_SECRET not in raw_data_column(totp)
    encrypted_once = totp.data["secret"]

    assert authenticators_encrypt(authenticator_model=Authenticator, rotate=False) == 0
    totp.refresh_from_db()
    assert totp.data["secret"] == encrypted_once


def test_reencrypt_moves_secrets_to_the_new_key(settings, client, user):
    secret = totp_enable(user)
    old_key = settings.CREDENTIALS_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key, old_key]

    assert mfa_secrets_reencrypt() == 1

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key]
    stored = Authenticator.objects.get(user=user).data["secret"]
    assert crypto.decrypt(stored) == secret
    sign_in_with_totp(client, user, secret)
    assert client.session["_auth_user_id"] == str(user.pk)


def test_the_rotate_command_reencrypts_mfa_secrets_too(settings, user, capsys):
    from django.core.management import call_command

    secret = totp_enable(user)
    new_key = Fernet.generate_key().decode()
    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key, *settings.CREDENTIALS_ENCRYPTION_KEYS]

    call_command("rotate_credentials_key")

    settings.CREDENTIALS_ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(Authenticator.objects.get(user=user).data["secret"]) == secret
    assert "Re-encrypted 1 MFA authenticator(s)." in capsys.readouterr().out


def test_admin_never_shows_the_secret(client, user):
    secret = totp_enable(user)
    authenticator = Authenticator.objects.get(user=user)
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)

    changelist = client.get(reverse("admin:mfa_authenticator_changelist"))
    page = client.get(reverse("admin:mfa_authenticator_change", args=[authenticator.pk]))

    assert changelist.status_code == 200 and page.status_code == 200
    for content in (changelist.content, page.content):
        assert secret.encode() not in content
        assert authenticator.data["secret"].encode() not in content
    assert b'name="data"' not in page.content
