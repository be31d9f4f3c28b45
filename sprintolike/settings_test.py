"""Test settings: the real settings with test-only secrets and a fast password hasher."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("CREDENTIALS_ENCRYPTION_KEYS", "q2XbZ3i5xW8X2gD9S8k4c3H1u1jzq9L4j8l6p0kP5mE=")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from sprintolike.settings import *  # noqa: E402,F403

if "pagerduty_standin" not in INSTALLED_APPS:  # noqa: F405 - tests start the stand-in
    INSTALLED_APPS = [*INSTALLED_APPS, "pagerduty_standin"]  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
MEDIA_ROOT = BASE_DIR / "test-output" / "media"  # noqa: F405
EVIDENCE_ROOT = BASE_DIR / "test-output" / "evidence"  # noqa: F405
# Only the login throttle of production (other limits would trip over many test sign-ups).
ACCOUNT_RATE_LIMITS = {"login_failed": ACCOUNT_RATE_LIMITS["login_failed"]}  # noqa: F405
# One process runs the tests and `cache.clear()` runs around each, also in tests without a db.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
