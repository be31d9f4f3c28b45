"""Spend's after-sync task (registered in ``SpendConfig.ready``)."""

from __future__ import annotations

from integrations.models import SyncRun
from spend.models import SaasService
from spend.rollups import spend_refresh_service


def spend_refresh_after_sync(organization_id: int, sync_run_id: int) -> None:
    """Recompute the rollups of the services fed by the synced connection."""
    run = SyncRun.objects.filter(pk=sync_run_id, organization_id=organization_id).first()
    if run is None:
        return
    for service in SaasService.objects.filter(
        organization_id=organization_id, connection_id=run.connection_id
    ).select_related("organization"):
        spend_refresh_service(service=service)
