"""Generated incidents: two years of history, about one in ten still open, some with notes."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Any

from pagerduty_standin.account.dataset import Dataset
from pagerduty_standin.account.formats import SECONDS_PER_DAY
from pagerduty_standin.account.records import (
    ACKNOWLEDGED,
    RESOLVED,
    RESPONDER_ROLES,
    TRIGGERED,
    Incident,
    Note,
)
from pagerduty_standin.account.vocabulary import (
    DATA_LOSS_NOTES,
    ENVIRONMENTS,
    INCIDENT_TITLES,
    INVESTIGATION_NOTES,
    NOTIFICATION_TYPES,
    RESOLUTION_NOTES,
)

INCIDENT_HISTORY_DAYS = 730


def generate_incidents(rng: random.Random, dataset: Dataset, incident_count: int) -> None:
    """Spread incidents over the last two years; about one in ten is still open.

    This loop runs 100,000 times for a benchmark account, so it draws plain `random()` values
    and indexes tuples instead of calling `choice`, which is several times slower.
    """
    now_epoch = dataset.now
    start = now_epoch - INCIDENT_HISTORY_DAYS * SECONDS_PER_DAY
    creation_span = now_epoch - 120 - start
    draw = rng.random
    created_times = sorted(start + int(draw() * creation_span) for _ in range(incident_count))
    enabled_services = [service for service in dataset.services if not service.disabled]
    enabled_services = enabled_services or dataset.services
    cumulative_weights = list(
        itertools.accumulate(rng.paretovariate(1.2) for _ in enabled_services)
    )
    total_weight = cumulative_weights[-1]
    services_with_email = {
        service.index
        for service in enabled_services
        if any(integration.integration_email for integration in service.integrations)
    }
    responders = [
        user.index
        for user in dataset.users
        if user.role in RESPONDER_ROLES and not user.invitation_sent
    ] or [0]
    priority_choices = (0, 1, 2, 2, 3, 3, 3, 4, 4)
    notification_counts = (1, 1, 2, 3)
    shared_tuples: dict[tuple[str, ...], tuple[str, ...]] = {}
    title_count = len(INCIDENT_TITLES)
    recent_cutoff = now_epoch - 2 * SECONDS_PER_DAY

    def pick(options: Sequence[Any]) -> Any:
        return options[int(draw() * len(options))]

    for created_at in created_times:
        service = enabled_services[bisect.bisect_left(cumulative_weights, draw() * total_weight)]
        incident = Incident()
        incident.created_at = created_at
        incident.service_index = service.index
        incident.urgency = "high" if draw() < 0.7 else "low"
        incident.priority_index = pick(priority_choices) if draw() < 0.4 else -1
        incident.title_index = int(draw() * title_count)
        incident.incident_key = rng.getrandbits(128)
        channel_roll = draw()
        if service.index in services_with_email and channel_roll < 0.3:
            incident.trigger_channel = "email"
        elif channel_roll > 0.92:
            incident.trigger_channel = "web_trigger"
        else:
            incident.trigger_channel = "api"
        incident.alert_count = 1 + int(rng.expovariate(0.7))
        notification_types = tuple(
            pick(NOTIFICATION_TYPES) for _ in range(pick(notification_counts))
        )
        incident.notification_types = shared_tuples.setdefault(
            notification_types, notification_types
        )
        assignee_index = pick(responders)
        incident.assignee_index = assignee_index
        acknowledged_at = created_at + 30 + int(rng.expovariate(1 / 300)) if draw() < 0.75 else None
        resolve_after = (acknowledged_at or created_at) + 60 + int(rng.expovariate(1 / 5400))
        stays_open = draw() < (0.5 if created_at > recent_cutoff else 0.09)
        if acknowledged_at is not None and acknowledged_at >= now_epoch:
            acknowledged_at = None
        if stays_open or resolve_after >= now_epoch:
            if acknowledged_at is not None and draw() < 0.5:
                incident.status = ACKNOWLEDGED
            else:
                incident.status = TRIGGERED
                acknowledged_at = None
            incident.resolved_at = None
            incident.resolver_index = -1
        else:
            incident.status = RESOLVED
            incident.resolved_at = resolve_after
            incident.generated_resolve = True
            incident.resolver_index = -1 if draw() < 0.2 else assignee_index
        incident.acknowledged_at = acknowledged_at
        incident.acknowledger_index = assignee_index if acknowledged_at is not None else -1
        notes: list[Note] = []
        if draw() < 0.12:
            latest = incident.resolved_at or now_epoch
            for _ in range(1 if draw() < 0.7 else 2):
                note_at = min(latest, created_at + 60 + int(rng.expovariate(1 / 1800)))
                notes.append(
                    Note(dataset.ids.next_id(), assignee_index, pick(INVESTIGATION_NOTES), note_at)
                )
        if incident.status == RESOLVED:
            note_roll = draw()
            resolution_text = None
            if note_roll < 0.035:
                resolution_text, data_was_lost = pick(DATA_LOSS_NOTES)
                if draw() < 0.6:
                    incident.data_loss = data_was_lost
            elif note_roll < 0.2:
                resolution_text = pick(RESOLUTION_NOTES)
            if resolution_text:
                author = incident.resolver_index if incident.resolver_index >= 0 else assignee_index
                notes.append(
                    Note(dataset.ids.next_id(), author, resolution_text, incident.resolved_at)
                )
        if incident.data_loss is None and draw() < 0.03:
            incident.data_loss = draw() < 0.3
        if draw() < 0.3:
            incident.environment = pick(ENVIRONMENTS)
        if notes:
            notes.sort(key=lambda note: note.created_at)
            incident.notes = notes
            incident.generated_note_count = len(notes)
        dataset.append_incident(incident)
