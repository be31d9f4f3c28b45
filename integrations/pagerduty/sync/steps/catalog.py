"""Steps that read the account's catalog: services, priorities, license tiers and holders."""

from __future__ import annotations

from typing import Any

from integrations.models import RemoteIncident, RemoteLicense, RemotePriority, RemoteService
from integrations.pagerduty.sync import mapping
from integrations.pagerduty.sync.context import SyncContext
from integrations.pagerduty.sync.upsert import mark_removed, upsert_page

# Query parameters shared with the benchmark's fetch-only baseline: with integrations, so email
# integrations (``integration_email``) show.
SERVICE_LIST_PARAMS: dict[str, Any] = {"include[]": ["integrations"]}


class ServicesStep:
    """Every service; services gone from the list are kept and marked removed."""

    name = "services"
    label = "Services"

    def due(self, sync: SyncContext) -> bool:
        return True

    def run(self, sync: SyncContext) -> None:
        counts = sync.count(self.name)
        seen: set[str] = set()
        created: list[str] = []
        for page in sync.client.iter_pages(
            "/services", collection="services", params=SERVICE_LIST_PARAMS
        ):
            records = {
                mapping.required_id(service, "service"): mapping.service_fields(service)
                for service in page
            }
            result = upsert_page(
                RemoteService,
                connection=sync.connection,
                records=records,
                now=sync.now,
                counts=counts,
            )
            seen.update(records)
            created.extend(result.created)
            sync.page_done()
        counts.removed += mark_removed(
            RemoteService, connection=sync.connection, seen_external_ids=seen, now=sync.now
        )
        if created:
            _link_incidents_to_new_services(sync, created)


def _link_incidents_to_new_services(sync: SyncContext, external_ids: list[str]) -> None:
    """Incidents stored before their service was (a service created since the last run)."""
    for external_id, pk in RemoteService.objects.filter(
        connection=sync.connection, external_id__in=external_ids
    ).values_list("external_id", "pk"):
        RemoteIncident.objects.filter(
            connection=sync.connection, service__isnull=True, service_external_id=external_id
        ).update(service_id=pk, synced_at=sync.now)


class PrioritiesStep:
    """Priorities, ranked in PagerDuty's order (most to least severe)."""

    name = "priorities"
    label = "Priorities"

    def due(self, sync: SyncContext) -> bool:
        return True

    def run(self, sync: SyncContext) -> None:
        counts = sync.count(self.name)
        rank = 0
        for page in sync.client.iter_pages("/priorities", collection="priorities"):
            records = {}
            for priority in page:
                records[mapping.required_id(priority, "priority")] = mapping.priority_fields(
                    priority, rank=rank
                )
                rank += 1
            upsert_page(
                RemotePriority,
                connection=sync.connection,
                records=records,
                now=sync.now,
                counts=counts,
            )
            sync.page_done()


class LicensesStep:
    """License tiers, then who holds which (handed to the users step as ``license_by_user``).

    Read with the people (users and last sign-in), when they are due.
    """

    name = "licenses"
    label = "Licenses"

    def due(self, sync: SyncContext) -> bool:
        return sync.people_due

    def run(self, sync: SyncContext) -> None:
        records = {
            mapping.required_id(license_tier, "license"): mapping.license_fields(license_tier)
            for license_tier in sync.client.list_licenses()
        }
        upsert_page(
            RemoteLicense,
            connection=sync.connection,
            records=records,
            now=sync.now,
            counts=sync.count(self.name),
        )
        license_pks = dict(
            RemoteLicense.objects.filter(connection=sync.connection).values_list(
                "external_id", "pk"
            )
        )
        allocation_counts = sync.count("license_allocations")
        license_by_user: dict[str, int] = {}
        for allocation in sync.client.iter_license_allocations():
            allocation_counts.seen += 1
            user_id = mapping.reference_id(allocation.get("user"))
            license_pk = license_pks.get(mapping.reference_id(allocation.get("license")))
            if user_id and license_pk:
                license_by_user[user_id] = license_pk
        sync.license_by_user = license_by_user
