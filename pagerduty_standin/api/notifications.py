"""`GET /notifications`: the notifications sent to users in a time range.

PagerDuty requires `since` and `until` and refuses a range of three months or more; it pages
with the classic offset (10,000 ceiling) and filters one type with `filter`
(`sms_notification`, `phone_notification`, `email_notification`, `push_notification`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pagerduty_standin.account.formats import add_months
from pagerduty_standin.account.notifications import NotificationRecord
from pagerduty_standin.account.vocabulary import NOTIFICATION_TYPES
from pagerduty_standin.api.limits import page_parameters, page_response, parse_time
from pagerduty_standin.api.protocol import (
    Request,
    Response,
    Route,
    arguments_error,
    invalid_date_range,
    invalid_input,
    request_zone,
)
from pagerduty_standin.api.rendering import Renderer

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer

MAX_NOTIFICATION_RANGE_MONTHS = 3


def list_notifications(server: StandinServer, request: Request) -> Response:
    zone = request_zone(request) or server.account_zone
    since_text, until_text = request.one("since"), request.one("until")
    if not since_text or not until_text:
        raise arguments_error("since and until are required.")
    since = parse_time(since_text, zone, "since")
    until = parse_time(until_text, zone, "until")
    if since > until:
        raise invalid_date_range("since must be before until.")
    if add_months(since, MAX_NOTIFICATION_RANGE_MONTHS) <= until:
        raise invalid_input("The date range between since and until must be less than 3 months.")
    notification_type = request.one("filter")
    if notification_type and notification_type not in NOTIFICATION_TYPES:
        raise invalid_input(f"filter must be one of {', '.join(NOTIFICATION_TYPES)}.")
    offset, limit = page_parameters(request)
    since_epoch, until_epoch = math.floor(since.timestamp()), math.ceil(until.timestamp())
    types = frozenset({notification_type}) if notification_type else None
    renderer = Renderer(server, request_zone(request))
    dataset = server.dataset
    with dataset.lock:
        records = dataset.query_notifications(since=since_epoch, until=until_epoch, types=types)
        rendered = [
            render_notification(renderer, record) for record in records[offset : offset + limit]
        ]
    return page_response(
        request, "notifications", rendered, offset=offset, limit=limit, total=len(records)
    )


def render_notification(renderer: Renderer, record: NotificationRecord) -> dict[str, Any]:
    user = renderer.dataset.users[record.user_index]
    return {
        "id": record.id,
        "type": record.type,
        "started_at": renderer.time(record.at),
        "address": user.email if record.type == "email_notification" else "",
        "user": renderer.user_reference(record.user_index),
    }


ROUTES = (Route("GET", "/notifications", list_notifications, "rest", "users:notifications.read"),)
