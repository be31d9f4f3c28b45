"""Production settings for `bench.web_load`, which talks plain HTTP to gunicorn on loopback.

In production TLS ends at a proxy and cookies are `Secure`; a load driver on http://127.0.0.1
would never send them back, so this module (used only by the benchmark) turns that off.
"""

from sprintolike.settings import *  # noqa: F403

SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
# One login per simulated user: the production throttle would count 50 from one address.
ACCOUNT_RATE_LIMITS = False
