"""What the stand-in can be told: account size and seed, credentials, limits and faults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

DEFAULT_API_KEY = "standin-readonly-key"
DEFAULT_OAUTH_CLIENT_ID = "standin-oauth-client-id"
DEFAULT_OAUTH_CLIENT_SECRET = "standin-oauth-client-secret"
# Options that `/_control/options` (and `StandinServer.update_options`) may change at runtime.
RUNTIME_OPTION_NAMES = frozenset(
    {
        "error_rate",
        "latency_ms",
        "malformed_rate",
        "rate_limit_per_minute",
        "rate_limit_headers_probability",
        "withhold_scopes",
        "access_token_ttl_seconds",
        "oauth_auto_approve",
        "invalid_scope_grants_only_openid",
    }
)


@dataclass
class StandinOptions:
    """Everything the stand-in can be told. Sizes and `seed` fix the generated account.

    `now` pins the generated data (same seed + sizes + now = same account); without it the data
    is anchored at the real current time. After start, the data clock runs on from `now`.
    """

    host: str = "127.0.0.1"
    port: int = 0
    public_url: str | None = None
    seed: int = 1
    incident_count: int = 5000
    user_count: int = 300
    service_count: int = 20
    team_count: int | None = None
    now: datetime | None = None
    subdomain: str = "demo"
    region: str = "us"
    account_time_zone: str = "Etc/UTC"
    api_keys: tuple[str, ...] = (DEFAULT_API_KEY,)
    oauth_client_id: str = DEFAULT_OAUTH_CLIENT_ID
    oauth_client_secret: str = DEFAULT_OAUTH_CLIENT_SECRET
    oauth_redirect_uris: tuple[str, ...] = ()
    oauth_app_scopes: tuple[str, ...] | None = None
    oauth_auto_approve: bool = False
    oauth_audience_url: str | None = None
    withhold_scopes: tuple[str, ...] = ()
    invalid_scope_grants_only_openid: bool = False
    access_token_ttl_seconds: int = 86_400
    refresh_token_ttl_seconds: int = 30 * 86_400
    authorization_code_ttl_seconds: int = 30
    rate_limit_per_minute: int = 960
    rate_limit_headers_probability: float = 0.95
    error_rate: float = 0.0
    latency_ms: int = 0
    malformed_rate: float = 0.0
    log_requests: bool = False
