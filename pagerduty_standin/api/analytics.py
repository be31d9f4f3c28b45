"""PagerDuty Analytics: `POST /analytics/raw/users` (last sign-in and on-call facts per user)
and `POST /analytics/metrics/incidents/all` (incident counts and timings per period).

Both take a JSON body, answer times without an offset in the body's `time_zone`, cap `limit`
at 1,000 and the created-at range at one year; OAuth callers must filter by service or team.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from pagerduty_standin.account.formats import (
    SECONDS_PER_DAY,
    decode_cursor,
    encode_cursor,
    format_naive_timestamp,
    from_base36,
)
from pagerduty_standin.account.metrics import incident_metrics
from pagerduty_standin.account.records import User
from pagerduty_standin.api.protocol import (
    Request,
    Response,
    Route,
    arguments_error,
    integer_parameter,
    invalid_input,
    json_response,
    time_zone_parameter,
)

if TYPE_CHECKING:
    from pagerduty_standin.account.dataset import Dataset
    from pagerduty_standin.server import StandinServer

ANALYTICS_MAX_LIMIT = 1000
ANALYTICS_MAX_RANGE_DAYS = 366
USER_SORT_KEYS: dict[str, Callable[[User], Any]] = {
    "user_id": lambda user: user.id,
    "id": lambda user: user.id,
    "name": lambda user: user.name,
    "user_name": lambda user: user.name,
    "email": lambda user: user.email,
    "created_at": lambda user: user.created_at,
    "last_sign_in_at": lambda user: user.last_sign_in_at or 0,
}


def analytics_raw_users(server: StandinServer, request: Request) -> Response:
    """One row per user, paged with opaque `starting_after` cursors instead of offsets."""
    body = request.json_body()
    filters = _filters(body)
    limit = integer_parameter(body.get("limit"), "limit", ANALYTICS_MAX_LIMIT)
    if not 1 <= limit <= ANALYTICS_MAX_LIMIT:
        raise arguments_error(f"limit must be between 1 and {ANALYTICS_MAX_LIMIT}.")
    order = body.get("order") or "desc"
    if order not in ("asc", "desc"):
        raise invalid_input("order must be asc or desc.")
    order_by = body.get("order_by") or "user_id"
    if order_by not in USER_SORT_KEYS:
        raise invalid_input(f"order_by {order_by!r} is not supported.")
    zone_name = body.get("time_zone") or "Etc/UTC"
    zone = time_zone_parameter(zone_name)
    created_start = _analytics_time(filters.get("created_at_start"), zone)
    created_end = _analytics_time(filters.get("created_at_end"), zone)
    team_ids = set(filters.get("team_ids") or ())
    user_ids = set(filters.get("user_ids") or ())
    roles = set(filters.get("role_ids") or ()) | set(filters.get("roles") or ())
    sort_key = USER_SORT_KEYS[order_by]
    dataset = server.dataset
    with dataset.lock:
        users = [
            user
            for user in dataset.users
            if user.removed_at is None
            and (created_start is None or user.created_at >= created_start)
            and (created_end is None or user.created_at < created_end)
            and (not user_ids or user.id in user_ids)
            and (not roles or user.role in roles)
            and (
                not team_ids
                or any(dataset.teams[index].id in team_ids for index in user.team_indices)
            )
        ]
        users.sort(key=lambda user: (sort_key(user), user.id), reverse=order == "desc")
        position = 0
        starting_after = body.get("starting_after")
        if starting_after:
            cursor = decode_cursor(str(starting_after))
            positions = [index for index, user in enumerate(users) if user.id == cursor["id"]]
            if not positions:
                raise invalid_input("starting_after does not match a row of this query.")
            position = positions[0] + 1
        page = users[position : position + limit]
        rows = [_user_row(dataset, user, zone) for user in page]

    def cursor_for(user: User) -> str:
        return encode_cursor({"id": user.id, "value": sort_key(user), "order_by": order_by})

    return json_response(
        {
            "data": rows,
            "first": cursor_for(page[0]) if page else None,
            "last": cursor_for(page[-1]) if page else None,
            "limit": limit,
            "more": position + limit < len(users),
            "order": order,
            "order_by": order_by,
            "filters": filters,
            "time_zone": zone_name,
        }
    )


def analytics_incident_metrics(server: StandinServer, request: Request) -> Response:
    """Aggregates per day, week or month (`aggregate_unit`), or one row for the period."""
    body = request.json_body()
    filters = _filters(body)
    service_ids = filters.get("service_ids") or []
    team_ids = filters.get("team_ids") or []
    credential = request.credential
    if credential is not None and credential.kind == "oauth" and not service_ids and not team_ids:
        raise arguments_error(
            "A team_ids or service_ids filter is required for user-level API keys or keys "
            "generated through an OAuth flow."
        )
    zone_name = body.get("time_zone") or "Etc/UTC"
    zone = time_zone_parameter(zone_name)
    start = _analytics_time(filters.get("created_at_start"), zone)
    end = _analytics_time(filters.get("created_at_end"), zone)
    if start is None or end is None:
        raise arguments_error("filters.created_at_start and filters.created_at_end are required.")
    if end <= start:
        raise arguments_error("created_at_end must be after created_at_start.")
    if end - start > ANALYTICS_MAX_RANGE_DAYS * SECONDS_PER_DAY:
        raise arguments_error(
            "The maximum supported time range between created_at_start and created_at_end is one year."
        )
    aggregate_unit = body.get("aggregate_unit")
    if aggregate_unit not in (None, "day", "week", "month"):
        raise invalid_input("aggregate_unit must be day, week or month.")
    urgency = filters.get("urgency")
    if urgency not in (None, "high", "low"):
        raise invalid_input("urgency must be high or low.")
    with server.dataset.lock:
        buckets = incident_metrics(
            server.dataset,
            start=start,
            end=end,
            service_ids=service_ids,
            team_ids=team_ids,
            urgency=urgency,
            priority_ids=filters.get("priority_ids") or None,
            bucket_start=_bucket_function(aggregate_unit, zone),
        )
    rows = []
    for bucket, metrics in buckets:
        if aggregate_unit is not None:
            metrics = {**metrics, "range_start": format_naive_timestamp(bucket, zone)}
        rows.append(metrics)
    if (body.get("order") or "asc") == "desc":
        rows.reverse()
    return json_response(
        {
            "aggregate_unit": aggregate_unit,
            "data": rows,
            "filters": filters,
            "time_zone": zone_name,
            "order": body.get("order") or "asc",
            "order_by": body.get("order_by") or "range_start",
        }
    )


def _filters(body: dict[str, Any]) -> dict[str, Any]:
    filters = body.get("filters") or {}
    if not isinstance(filters, dict):
        raise invalid_input("filters must be an object.")
    return filters


def _analytics_time(value: Any, zone: tzinfo) -> int | None:
    """An ISO 8601 filter value; without an offset it is read in the body's `time_zone`."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as error:
        raise invalid_input(f"{value!r} is not an ISO 8601 date/time.") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.timestamp())


def _user_row(dataset: Dataset, user: User, zone: tzinfo) -> dict[str, Any]:
    """The raw users row: on-call and notification facts follow from role and sign-in."""
    first_team = dataset.teams[user.team_indices[0]] if user.team_indices else None
    return {
        "id": user.id,
        "user_name": user.name,
        "email": user.email,
        "account_id": from_base36(dataset.account_id[1:]) % 1_000_000,
        "description": user.description,
        "time_zone": user.time_zone,
        "role": user.role,
        "team_id": first_team.id if first_team else None,
        "team_name": first_team.name if first_team else None,
        "created_at": format_naive_timestamp(user.created_at, zone),
        "last_sign_in_at": format_naive_timestamp(user.last_sign_in_at, zone),
        "default_notification_channel_count": 1 if user.last_sign_in_at else 0,
        "escalation_policies_count": 1 if user.on_escalation_policy else 0,
        "schedules_count": 1 if user.on_schedule else 0,
        "channel_types_configured": ["EmailChannel"]
        + (["SmsChannel", "PushNotificationChannel"] if user.last_sign_in_at else []),
        "team_count": len(user.team_indices),
        "downloaded_mobile_app": bool(user.last_sign_in_at) and user.index % 3 == 0,
        "notification_methods": bool(user.last_sign_in_at),
        "on_escalation_policy": user.on_escalation_policy,
        "on_schedule": user.on_schedule,
        "signed_up": user.last_sign_in_at is not None,
    }


def _bucket_function(aggregate_unit: str | None, zone: tzinfo) -> Callable[[int], int | None]:
    """Maps a creation time to the start of its day, ISO week or month in `zone`."""
    if aggregate_unit is None:
        return lambda epoch_seconds: None

    def bucket_start(epoch_seconds: int) -> int:
        local = datetime.fromtimestamp(epoch_seconds, tz=zone)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if aggregate_unit == "week":
            day -= timedelta(days=day.weekday())
        elif aggregate_unit == "month":
            day = day.replace(day=1)
        return int(day.timestamp())

    return bucket_start


ROUTES = (
    Route("POST", "/analytics/raw/users", analytics_raw_users, "rest", "analytics.write"),
    Route(
        "POST",
        "/analytics/metrics/incidents/all",
        analytics_incident_metrics,
        "rest",
        "analytics.write",
    ),
)
