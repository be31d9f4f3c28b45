"""Encrypt the TOTP secrets and recovery seeds that allauth stored in the clear.

Idempotent: a value that is already a Fernet token is left alone, so re-running is harmless.
There is no way back: decrypting secrets into the database again is not something to automate.
"""

from django.db import migrations


def encrypt_mfa_secrets(apps, schema_editor) -> None:
    from tenants.mfa_secrets import authenticators_encrypt

    authenticators_encrypt(authenticator_model=apps.get_model("mfa", "Authenticator"), rotate=False)


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_mfa_secrets, migrations.RunPython.noop)]
