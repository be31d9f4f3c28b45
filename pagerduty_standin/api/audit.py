"""`GET /audit/records`: user removals and role changes, with PagerDuty's cursor pagination.

`since` defaults to 24 hours before now and `until` may be at most 31 days after `since`;
`root_resource_types[]` other than `users` give no records here; `actions[]` filters.
Needs `audit_records.read`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pagerduty_standin.account.audit import user_audit_records
from pagerduty_standin.api.limits import parse_time
from pagerduty_standin.api.protocol import (
    Request,
    Response,
    Route,
    integer_parameter,
    invalid_date_range,
    json_response,
)

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer

DAY = 86_400
MAX_RANGE_SECONDS = 31 * DAY
MAX_LIMIT = 100


def list_audit_records(server: StandinServer, request: Request) -> Response:
    dataset = server.dataset
    zone = server.account_zone
    now = dataset.current_time()
    since_text, until_text = request.one("since"), request.one("until")
    since = (
        math.floor(parse_time(since_text, zone, "since").timestamp()) if since_text else now - DAY
    )
    until = math.ceil(parse_time(until_text, zone, "until").timestamp()) if until_text else now
    if since > until:
        raise invalid_date_range("since must be before until.")
    if until - since > MAX_RANGE_SECONDS:
        raise invalid_date_range("The until parameter must be at most 31 days after since.")
    types = set(request.many("root_resource_types")) or {"users"}
    actions = set(request.many("actions")) or {"create", "update", "delete"}
    records = (
        user_audit_records(dataset, since=since, until=until, actions=actions)
        if "users" in types
        else []
    )
    limit = max(1, min(MAX_LIMIT, integer_parameter(request.one("limit"), "limit", MAX_LIMIT)))
    offset = integer_parameter(request.one("cursor"), "cursor", 0)
    page = records[offset : offset + limit]
    next_offset = offset + len(page)
    return json_response(
        {
            "records": page,
            "limit": limit,
            "next_cursor": str(next_offset) if next_offset < len(records) else None,
        }
    )


ROUTES = (Route("GET", "/audit/records", list_audit_records, "rest", "audit_records.read"),)
