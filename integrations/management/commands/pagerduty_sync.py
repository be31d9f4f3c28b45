"""Sync an organisation's PagerDuty connections now, in this process, and report what it cost."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from integrations.models import SyncRun, SyncRunStatus, SyncTrigger
from integrations.pagerduty.sync.lease import SyncRefused
from integrations.pagerduty.sync.run import sync_connection
from tenants.selectors import organization_for_command


class Command(BaseCommand):
    help = (
        "Sync the PagerDuty connections of one organisation synchronously and print, per "
        "resource, the records seen/created/updated/removed, the PagerDuty requests made and "
        "the duration."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's slug")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Re-read the whole incident backfill window (INCIDENT_BACKFILL_DAYS)",
        )
        parser.add_argument("--connection", type=int, help="Only this connection id")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_for_command(options["org"])
        connections = organization.connections.not_revoked()
        if options["connection"]:
            connections = connections.filter(pk=options["connection"])
        if not connections.exists():
            raise CommandError(f"{organization} has no PagerDuty connection to sync.")
        failures = 0
        for connection in connections.order_by("pk"):
            self.stdout.write(f"Syncing {connection} ...")
            try:
                run = sync_connection(
                    connection=connection, trigger=SyncTrigger.COMMAND, full=options["full"]
                )
            except SyncRefused as refusal:
                self.stderr.write(refusal.message)
                failures += 1
                continue
            self._report(run)
            failures += run.status != SyncRunStatus.SUCCEEDED
        if failures:
            raise CommandError(f"{failures} sync(s) did not succeed; see above.")

    def _report(self, run: SyncRun) -> None:
        write = self.stdout.write
        duration = run.duration.total_seconds() if run.duration else 0.0
        kind = "full" if run.full else "incremental"
        write(f"  {kind} sync {run.get_status_display().lower()} in {duration:.1f} s")
        write(f"  {'resource':<20}{'seen':>9}{'created':>9}{'updated':>9}{'removed':>9}")
        for resource, figures in run.counts.items():
            write(
                f"  {resource:<20}{figures.get('seen', 0):>9}{figures.get('created', 0):>9}"
                f"{figures.get('updated', 0):>9}{figures.get('removed', 0):>9}"
            )
        write(f"  PagerDuty requests: {run.request_count}")
        for path, count in sorted(run.requests_by_path.items()):
            write(f"    {path:<40}{count:>7}")
        for note in run.notes:
            write(f"  note: {note}")
        if run.error_message:
            self.stderr.write(f"  error: {run.error_message}")
