"""PagerDuty's entry in the integrations catalog."""

from integrations.models import Purpose
from integrations.pagerduty.oauth import REQUESTED_SCOPES
from integrations.providers import Permission, ProviderInfo

SCOPE_REASONS = {
    "users.read": "List your PagerDuty users, their roles and whether their invitation is pending.",
    "services.read": "List services, so you can choose which ones are incident sources.",
    "incidents.read": "Read incidents, their status history and resolution notes.",
    "priorities.read": "Read incident priorities, to apply an SLA per priority.",
    "licenses.read": "Read license tiers and which user holds which, for spend per seat.",
    "analytics.write": (
        "Read each user's last sign-in and monthly incident counts. PagerDuty's analytics "
        "endpoints are POST requests and require this scope although they only read."
    ),
    "users:notifications.read": (
        "Count the notifications sent each month (SMS and phone calls are the billable alerts)."
    ),
}

PAGERDUTY = ProviderInfo(
    slug="pagerduty",
    name="PagerDuty",
    summary=(
        "Incident response platform. Sprintolike reads services, users, licenses, last sign-in "
        "and incidents; it never changes anything in PagerDuty."
    ),
    purposes=(Purpose.INCIDENT_MANAGEMENT, Purpose.ACCESS_MANAGEMENT, Purpose.SPEND),
    permissions=tuple(Permission(scope, SCOPE_REASONS[scope]) for scope in REQUESTED_SCOPES),
    oauth_steps=(
        "Sign in to PagerDuty as a user who can see every service and user you want evidence "
        "for (an Admin or the Account Owner).",
        "Choose what to use PagerDuty for below and press Next.",
        "Press “Connect PagerDuty”: PagerDuty asks you to approve read access. Approve every "
        "permission listed; anything you withhold is shown as missing afterwards.",
        "You come back here, on the Connected tab, and the first sync starts.",
    ),
    api_key_steps=(
        "In PagerDuty, open Integrations > API Access Keys and create a Read-only API key "
        "(Admins and Account Owners can).",
        "Paste the key below and pick your account's region (EU accounts live on "
        "eu.pagerduty.com). Sprintolike checks the key with one request before saving it.",
    ),
    access_management_acknowledgement=(
        "I understand that for access management Sprintolike reads every PagerDuty user with "
        "their email, role, license and last sign-in, and compares them with our staff directory."
    ),
    revoke_instructions=(
        "PagerDuty has no API to revoke a token. To cut access on PagerDuty's side too: for an "
        "OAuth connection, open the Sprintolike app under Integrations > App Registration in "
        "PagerDuty and choose “Revoke All Tokens”; for an API key, delete the key under "
        "Integrations > API Access Keys."
    ),
)
