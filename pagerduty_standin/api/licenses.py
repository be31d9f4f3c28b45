"""`GET /licenses` and `/license_allocations`: which tier each user's role takes a seat in.

Every active user (invited ones too) holds the tier whose `valid_roles` include their role;
`current_value` counts holders, `allocations_available` what was bought and not used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pagerduty_standin.account.records import License, User
from pagerduty_standin.api.limits import paginate
from pagerduty_standin.api.protocol import Request, Response, Route, json_response
from pagerduty_standin.api.rendering import Renderer

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer


def list_licenses(server: StandinServer, request: Request) -> Response:
    dataset = server.dataset
    with dataset.lock:
        holders: dict[str, int] = {}
        for _, license_tier in dataset.license_allocations():
            holders[license_tier.id] = holders.get(license_tier.id, 0) + 1
        licenses = [
            render_license(license_tier, holders.get(license_tier.id, 0))
            for license_tier in dataset.licenses
        ]
    return json_response({"licenses": licenses})


def list_license_allocations(server: StandinServer, request: Request) -> Response:
    renderer = Renderer.for_request(server, request)
    with server.dataset.lock:
        allocations = server.dataset.license_allocations()
    return paginate(
        request,
        "license_allocations",
        allocations,
        lambda allocation: render_license_allocation(renderer, *allocation),
        lock=server.dataset.lock,
    )


def render_license(license_tier: License, holders: int) -> dict[str, Any]:
    return {
        **_license_core(license_tier),
        "current_value": holders,
        "allocations_available": max(0, license_tier.purchased - holders),
    }


def render_license_allocation(
    renderer: Renderer, user: User, license_tier: License
) -> dict[str, Any]:
    return {
        "license": _license_core(license_tier),
        "user": {"id": user.id, "type": "user_reference"},
        "allocated_at": renderer.time(user.created_at),
    }


def _license_core(license_tier: License) -> dict[str, Any]:
    return {
        "id": license_tier.id,
        "name": license_tier.name,
        "description": license_tier.description,
        "valid_roles": list(license_tier.valid_roles),
        "role_group": license_tier.role_group,
        "summary": license_tier.name,
        "type": "license",
        "self": None,
        "html_url": None,
    }


ROUTES = (
    Route("GET", "/licenses", list_licenses, "rest", "licenses.read"),
    Route("GET", "/license_allocations", list_license_allocations, "rest", "licenses.read"),
)
