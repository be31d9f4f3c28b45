"""TOTP helpers for tests: turn MFA on for a user and compute the code an authenticator app shows.

Every test that signs in or activates TOTP takes its code from `totp_code`, so none can fail
at a 30-second boundary."""

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)

# Longer than a request (or a browser's fill and click) takes between reading a code and the
# server checking it.
STEP_END_MARGIN_SECONDS = 5


def totp_enable(user) -> str:
    """Give `user` a TOTP authenticator, the way allauth's activation does; return the secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    """The code of the current 30-second step, read at least `STEP_END_MARGIN_SECONDS` before
    the step ends: allauth accepts only the current step's code (`MFA_TOTP_TOLERANCE` 0), so a
    code read in a step's last seconds may reach the server in the next step and be refused.
    In those last seconds, wait for the next step."""
    step_seconds = app_settings.TOTP_PERIOD
    seconds_into_step = time.time() % step_seconds
    if seconds_into_step > step_seconds - STEP_END_MARGIN_SECONDS:
        time.sleep(step_seconds - seconds_into_step + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // step_seconds))
