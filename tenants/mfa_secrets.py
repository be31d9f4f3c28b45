"""TOTP secrets and recovery-code seeds at rest: encrypted with the credentials keys.

allauth keeps them in `mfa.Authenticator.data` and calls the MFA adapter's `encrypt`/`decrypt`
around each use; `tenants.adapters.MFAAdapter` sends those calls here. The keys and their
rotation are the PagerDuty credentials' (`sprintolike.crypto`, CREDENTIALS_ENCRYPTION_KEYS).
"""

from typing import Any

from django.db import transaction

from sprintolike import crypto

# Every Fernet token starts with its version byte 0x80 and a 64-bit timestamp whose high bytes
# are zero for centuries: base64 "gAAAAA". A TOTP secret (base32, upper case) or a recovery seed
# (hex) can never start with a lower-case "g", so plaintext and ciphertext cannot be confused.
FERNET_TOKEN_PREFIX = "gAAAAA"

# The keys of `Authenticator.data` that allauth passes through encrypt(): TOTP's "secret",
# recovery codes' "seed" and, for codes imported from another system, "migrated_codes".
SECRET_DATA_KEYS = ("secret", "seed")
SECRET_LIST_DATA_KEYS = ("migrated_codes",)


def is_encrypted(value: str) -> bool:
    return value.startswith(FERNET_TOKEN_PREFIX)


def mfa_secret_encrypt(plaintext: str) -> str:
    return crypto.encrypt(plaintext)


def mfa_secret_decrypt(stored: str) -> str:
    """The plaintext of a stored secret; a row written before encryption is read as it is."""
    return crypto.decrypt(stored) if is_encrypted(stored) else stored


def _reencrypted(value: str) -> str:
    return crypto.rotate(value) if is_encrypted(value) else crypto.encrypt(value)


def _encrypted(value: str) -> str:
    return value if is_encrypted(value) else crypto.encrypt(value)


def authenticator_data_with_encrypted_secrets(data: dict[str, Any], *, rotate: bool) -> dict:
    """`data` with every secret encrypted: plaintext ones encrypted, encrypted ones kept as they
    are or, with `rotate`, re-encrypted under the first key. Safe to run any number of times.
    """
    transform = _reencrypted if rotate else _encrypted
    data = dict(data)
    for key in SECRET_DATA_KEYS:
        if isinstance(data.get(key), str) and data[key]:
            data[key] = transform(data[key])
    for key in SECRET_LIST_DATA_KEYS:
        if isinstance(data.get(key), list):
            data[key] = [transform(value) for value in data[key]]
    return data


def authenticators_encrypt(*, authenticator_model: Any, rotate: bool) -> int:
    """Encrypt (or, with `rotate`, re-encrypt) the secrets of every authenticator; return how
    many rows changed. Takes the model so the data migration can pass its historical one.
    """
    changed = 0
    for authenticator_id in authenticator_model.objects.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            authenticator = authenticator_model.objects.select_for_update().get(pk=authenticator_id)
            data = authenticator_data_with_encrypted_secrets(authenticator.data, rotate=rotate)
            if data != authenticator.data:
                authenticator.data = data
                authenticator.save(update_fields=["data"])
                changed += 1
    return changed


def mfa_secrets_reencrypt() -> int:
    """Re-encrypt every TOTP secret and recovery seed with the first CREDENTIALS_ENCRYPTION_KEYS
    key (and encrypt any left in plaintext). `rotate_credentials_key` calls this after the
    PagerDuty credentials, so one command rotates every secret the keys protect.
    """
    from allauth.mfa.models import Authenticator

    return authenticators_encrypt(authenticator_model=Authenticator, rotate=True)
