"""TOTP helpers for tests: turn MFA on for a user and compute the code an authenticator app shows."""

import time

from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)


def totp_enable(user) -> str:
    """Give `user` a TOTP authenticator, the way allauth's activation does; return the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))
