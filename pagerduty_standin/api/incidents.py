"""`GET /incidents` and everything hanging off an incident: its log entries, notes and custom
field values, plus the account-wide `GET /log_entries`.

PagerDuty filters `since`/`until` on creation time (a resolved old incident is not "new"),
lists one month unless told otherwise, refuses windows over six months, and stops at offset
10,000; `date_range=all` lifts the window but not the ceiling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pagerduty_standin.account.dataset import Dataset, IncidentQuery
from pagerduty_standin.account.log_entries import incident_log_entries
from pagerduty_standin.account.records import (
    ALL_STATUSES,
    OPEN_STATUSES,
    OVERVIEW_LOG_KINDS,
    LogEntryRecord,
)
from pagerduty_standin.api.incident_shapes import render_incident, render_log_entry, render_note
from pagerduty_standin.api.limits import (
    incident_window,
    optional_window,
    page_parameters,
    page_response,
    paginate,
)
from pagerduty_standin.api.protocol import (
    Request,
    Response,
    Route,
    invalid_input,
    json_response,
    request_zone,
)
from pagerduty_standin.api.rendering import Renderer

if TYPE_CHECKING:
    from pagerduty_standin.server import StandinServer

# Orders `IncidentQuery` gives for free (creation order is incident number order).
CREATION_ORDER_FIELDS = ("created_at", "incident_number")
SORTABLE_FIELDS = (*CREATION_ORDER_FIELDS, "resolved_at", "urgency")


def list_incidents(server: StandinServer, request: Request) -> Response:
    """Filters: `statuses[]`, `service_ids[]`, `team_ids[]`, `urgencies[]`, `user_ids[]`
    (assignees of open incidents), `incident_key`, and `sort_by`."""
    zone = request_zone(request)
    offset, limit = page_parameters(request)
    since, until = incident_window(
        request, zone=zone or server.account_zone, now_epoch=server.data_clock()
    )
    statuses = request.many("statuses")
    if any(status not in ALL_STATUSES for status in statuses):
        raise invalid_input("Status must be a list of triggered, acknowledged, or resolved.")
    urgencies = request.many("urgencies")
    if any(urgency not in ("high", "low") for urgency in urgencies):
        raise invalid_input("Urgency must be a list of high or low.")
    sort_field, descending = _incident_sort(request.one("sort_by"))
    assigned_user_ids = set(request.many("user_ids"))
    query = IncidentQuery(
        since=since,
        until=until,
        statuses=frozenset(statuses) if statuses else None,
        service_ids=frozenset(request.many("service_ids")) or None,
        team_ids=frozenset(request.many("team_ids")) or None,
        urgencies=frozenset(urgencies) if urgencies else None,
        incident_key=request.one("incident_key") or None,
        descending=descending and sort_field in CREATION_ORDER_FIELDS,
    )
    renderer = Renderer(server, zone)
    includes = request.includes()
    dataset = server.dataset
    with dataset.lock:
        indices: Sequence[int] = dataset.query_incidents(query)
        if assigned_user_ids:
            wanted = {
                dataset.user_by_id[user_id].index
                for user_id in assigned_user_ids
                if user_id in dataset.user_by_id
            }
            indices = [
                index
                for index in indices
                if dataset.incidents[index].status in OPEN_STATUSES
                and dataset.incidents[index].assignee_index in wanted
            ]
        if sort_field not in CREATION_ORDER_FIELDS:
            indices = _sorted_by_field(dataset, indices, sort_field, descending)
        page = indices[offset : offset + limit]
        rendered = [render_incident(renderer, dataset.incidents[index], includes) for index in page]
        total = len(indices)
    return page_response(request, "incidents", rendered, offset=offset, limit=limit, total=total)


def get_incident(server: StandinServer, request: Request) -> Response:
    with server.dataset.lock:
        incident = server.dataset.incident_by_id_or_number(request.path_parameters["id"])
        renderer = Renderer.for_request(server, request)
        rendered = render_incident(renderer, incident, request.includes())
    return json_response({"incident": rendered})


def list_incident_notes(server: StandinServer, request: Request) -> Response:
    renderer = Renderer.for_request(server, request)
    with server.dataset.lock:
        incident = server.dataset.incident_by_id_or_number(request.path_parameters["id"])
        notes = [render_note(renderer, note) for note in incident.notes or ()]
    return json_response({"notes": notes})


def list_incident_custom_field_values(server: StandinServer, request: Request) -> Response:
    """Every custom field of the account, with this incident's value (or null)."""
    dataset = server.dataset
    with dataset.lock:
        incident = dataset.incident_by_id_or_number(request.path_parameters["id"])
        values = {"data_loss": incident.data_loss, "environment": incident.environment}
        fields = [
            {
                "id": custom_field.id,
                "type": "field_value",
                "name": custom_field.name,
                "display_name": custom_field.display_name,
                "data_type": custom_field.data_type,
                "field_type": custom_field.field_type,
                "value": values.get(custom_field.name),
            }
            for custom_field in dataset.custom_fields
        ]
    return json_response({"custom_fields": fields})


def list_incident_log_entries(server: StandinServer, request: Request) -> Response:
    """Newest first; `is_overview=true` keeps status changes and notes only."""
    zone = request_zone(request)
    since, until = optional_window(request, zone=zone or server.account_zone)
    overview_only = request.flag("is_overview")
    renderer = Renderer(server, zone)
    includes = request.includes()
    with server.dataset.lock:
        incident = server.dataset.incident_by_id_or_number(request.path_parameters["id"])
        records = [
            record
            for record in incident_log_entries(incident)
            if (since is None or record.at >= since)
            and (until is None or record.at < until)
            and (not overview_only or record.kind in OVERVIEW_LOG_KINDS)
        ]
        records.sort(key=lambda record: (record.at, record.sequence), reverse=True)
    return paginate(
        request,
        "log_entries",
        records,
        lambda record: render_log_entry(renderer, incident, record, includes),
        lock=server.dataset.lock,
    )


def list_log_entries(server: StandinServer, request: Request) -> Response:
    """The whole account's log, newest first, from the packed time index."""
    zone = request_zone(request)
    offset, limit = page_parameters(request)
    since, until = optional_window(request, zone=zone or server.account_zone)
    renderer = Renderer(server, zone)
    includes = request.includes()
    team_ids = set(request.many("team_ids"))
    dataset = server.dataset
    with dataset.lock:
        keys: Sequence[tuple[int, int]] = dataset.query_log_entries(
            since=since, until=until, overview_only=request.flag("is_overview")
        )
        if team_ids:
            keys = [
                key
                for key in keys
                if dataset.teams[
                    dataset.services[dataset.incidents[key[0]].service_index].team_index
                ].id
                in team_ids
            ]
        records_by_incident: dict[int, list[LogEntryRecord]] = {}
        rendered = []
        for incident_index, sequence in keys[offset : offset + limit]:
            incident = dataset.incidents[incident_index]
            records = records_by_incident.get(incident_index)
            if records is None:
                records = records_by_incident[incident_index] = incident_log_entries(incident)
            rendered.append(render_log_entry(renderer, incident, records[sequence], includes))
        total = len(keys)
    return page_response(request, "log_entries", rendered, offset=offset, limit=limit, total=total)


def get_log_entry(server: StandinServer, request: Request) -> Response:
    with server.dataset.lock:
        incident, record = server.dataset.find_log_entry(request.path_parameters["id"])
        renderer = Renderer.for_request(server, request)
        rendered = render_log_entry(renderer, incident, record, request.includes())
    return json_response({"log_entry": rendered})


def _incident_sort(sort_by: str | None) -> tuple[str, bool]:
    """The first `field:direction` of `sort_by`; PagerDuty defaults to ascending."""
    if not sort_by:
        return "created_at", False
    first = sort_by.split(",")[0].strip()
    field_name, _, direction = first.partition(":")
    if field_name not in SORTABLE_FIELDS:
        raise invalid_input(f"sort_by field {field_name!r} is not supported.")
    if direction not in ("", "asc", "desc"):
        raise invalid_input(f"sort_by direction {direction!r} must be asc or desc.")
    return field_name, direction == "desc"


def _sorted_by_field(
    dataset: Dataset, indices: Iterable[int], field_name: str, descending: bool
) -> list[int]:
    """`resolved_at` (open incidents last) or `urgency` (high first), ties in creation order."""
    incidents = dataset.incidents
    key: Callable[[int], Any]
    if field_name == "resolved_at":

        def key(index: int) -> Any:
            return (incidents[index].resolved_at is None, incidents[index].resolved_at or 0, index)

    else:

        def key(index: int) -> Any:
            return (incidents[index].urgency != "high", index)

    return sorted(indices, key=key, reverse=descending)


ROUTES = (
    Route("GET", "/incidents", list_incidents, "rest", "incidents.read"),
    Route("GET", "/incidents/{id}", get_incident, "rest", "incidents.read"),
    Route(
        "GET", "/incidents/{id}/log_entries", list_incident_log_entries, "rest", "incidents.read"
    ),
    Route("GET", "/incidents/{id}/notes", list_incident_notes, "rest", "incidents.read"),
    Route(
        "GET",
        "/incidents/{id}/custom_fields/values",
        list_incident_custom_field_values,
        "rest",
        "incidents.read",
    ),
    Route("GET", "/log_entries", list_log_entries, "rest", "incidents.read"),
    Route("GET", "/log_entries/{id}", get_log_entry, "rest", "incidents.read"),
)
