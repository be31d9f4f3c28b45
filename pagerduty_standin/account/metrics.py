"""PagerDuty Analytics' incident metrics (`POST /analytics/metrics/incidents/all`) over the account.

Only the metrics a stand-in can derive from its incidents are computed; the rest are PagerDuty's
names with zero or null, so a client reading them sees the real response shape.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pagerduty_standin.account.dataset import Dataset
from pagerduty_standin.account.records import Incident


def incident_metrics(
    dataset: Dataset,
    *,
    start: int,
    end: int,
    service_ids: Iterable[str] | None,
    team_ids: Iterable[str] | None,
    urgency: str | None,
    priority_ids: Iterable[str] | None,
    bucket_start: Callable[[int], int | None],
) -> list[tuple[int | None, dict[str, Any]]]:
    """Aggregate incidents created in [start, end) per bucket, with PagerDuty's metric names.

    `bucket_start` maps a creation time to the epoch start of its bucket (None for one
    bucket over the whole period). Buckets without incidents are left out.
    """
    low, high = dataset.window_bounds(start, end)
    wanted_services = dataset.service_indices(service_ids or None, team_ids or None)
    wanted_priorities = None
    if priority_ids:
        wanted_priority_ids = set(priority_ids)
        wanted_priorities = {
            index
            for index, priority in enumerate(dataset.priorities)
            if priority.id in wanted_priority_ids
        }
    buckets: dict[int | None, list[Incident]] = {}
    for index in range(low, high):
        incident = dataset.incidents[index]
        if wanted_services is not None and incident.service_index not in wanted_services:
            continue
        if urgency is not None and incident.urgency != urgency:
            continue
        if wanted_priorities is not None and incident.priority_index not in wanted_priorities:
            continue
        buckets.setdefault(bucket_start(incident.created_at), []).append(incident)
    return [
        (key, _metrics_for(incidents))
        for key, incidents in sorted(buckets.items(), key=lambda item: item[0] or 0)
    ]


def _percentile(sorted_values: list[int], fraction: float) -> int | None:
    if not sorted_values:
        return None
    position = min(len(sorted_values) - 1, max(0, int(round(fraction * (len(sorted_values) - 1)))))
    return sorted_values[position]


def _metrics_for(incidents: list[Incident]) -> dict[str, Any]:
    """PagerDuty's incident metrics over one bucket (only the ones a stand-in can derive)."""
    resolve_seconds = sorted(
        incident.resolved_at - incident.created_at
        for incident in incidents
        if incident.resolved_at is not None
    )
    acknowledge_seconds = sorted(
        incident.acknowledged_at - incident.created_at
        for incident in incidents
        if incident.acknowledged_at is not None
    )
    engaged_seconds = [
        incident.resolved_at - incident.acknowledged_at
        for incident in incidents
        if incident.resolved_at is not None and incident.acknowledged_at is not None
    ]
    notifications = sum(len(incident.notification_types) for incident in incidents)
    business = off_hours = sleep = 0
    for incident in incidents:
        moment = datetime.fromtimestamp(incident.created_at, tz=UTC)
        if 8 <= moment.hour < 18 and moment.weekday() < 5:
            business += 1
        elif moment.hour >= 22 or moment.hour < 8:
            sleep += 1
        else:
            off_hours += 1
    mean = lambda values: int(statistics.fmean(values)) if values else None  # noqa: E731
    return {
        "mean_assignment_count": 1 if incidents else None,
        "mean_engaged_seconds": mean(engaged_seconds),
        "mean_engaged_user_count": 1 if acknowledge_seconds else 0,
        "mean_seconds_to_engage": None,
        "mean_seconds_to_first_ack": mean(acknowledge_seconds),
        "mean_seconds_to_mobilize": None,
        "mean_seconds_to_resolve": mean(resolve_seconds),
        "mean_user_defined_engaged_seconds": mean(engaged_seconds),
        "p50_seconds_to_first_ack": _percentile(acknowledge_seconds, 0.5),
        "p50_seconds_to_resolve": _percentile(resolve_seconds, 0.5),
        "p75_seconds_to_first_ack": _percentile(acknowledge_seconds, 0.75),
        "p75_seconds_to_resolve": _percentile(resolve_seconds, 0.75),
        "p90_seconds_to_first_ack": _percentile(acknowledge_seconds, 0.9),
        "p90_seconds_to_resolve": _percentile(resolve_seconds, 0.9),
        "p95_seconds_to_first_ack": _percentile(acknowledge_seconds, 0.95),
        "p95_seconds_to_resolve": _percentile(resolve_seconds, 0.95),
        "total_business_hour_interruptions": business,
        "total_engaged_seconds": sum(engaged_seconds),
        "total_escalation_count": 0,
        "total_incident_count": len(incidents),
        "total_incidents_acknowledged": len(acknowledge_seconds),
        "total_incidents_auto_resolved": sum(
            1
            for incident in incidents
            if incident.resolved_at is not None and incident.resolver_index < 0
        ),
        "total_incidents_manual_escalated": 0,
        "total_incidents_reassigned": 0,
        "total_incidents_timeout_escalated": 0,
        "total_interruptions": notifications,
        "total_notifications": notifications,
        "total_off_hour_interruptions": off_hours,
        "total_sleep_hour_interruptions": sleep,
        "total_snoozed_seconds": 0,
        "total_user_defined_engaged_seconds": sum(engaged_seconds),
    }
