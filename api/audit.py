"""How API token events read in the audit log (`tenants.audit`)."""

from collections.abc import Mapping
from typing import Any

from tenants.audit import audit_action


def _token(details: Mapping[str, Any]) -> str:
    return f"{details['role']} API token “{details['name']}” (…{details['last_four']})"


@audit_action("api_token.create", label="API token created")
def describe_api_token_create(details: Mapping[str, Any], target: str) -> str:
    expiry = f", expires {details['expires_at'][:10]}" if details.get("expires_at") else ""
    return f"Created {_token(details)}{expiry}"


@audit_action("api_token.revoke", label="API token revoked")
def describe_api_token_revoke(details: Mapping[str, Any], target: str) -> str:
    return f"Revoked {_token(details)}"
