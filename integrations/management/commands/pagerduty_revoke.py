from django.core.management.base import BaseCommand, CommandError

from integrations.models import Connection
from integrations.providers import provider_get
from integrations.services import connection_revoke


class Command(BaseCommand):
    help = "Revoke an organisation's PagerDuty connection(s); --purge also deletes synced data."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--subdomain", help="Only this PagerDuty account")
        parser.add_argument("--purge", action="store_true", help="Delete the synced records too")

    def handle(self, *args, org: str, subdomain: str | None, purge: bool, **options) -> None:
        connections = Connection.objects.filter(
            organization__slug=org, provider="pagerduty"
        ).not_revoked()
        if subdomain:
            connections = connections.filter(subdomain=subdomain)
        if not connections:
            raise CommandError(f"No active PagerDuty connection for organisation {org!r}.")
        for connection in connections:
            connection_revoke(connection=connection, acting_user=None, purge=purge)
            self.stdout.write(
                f"Revoked {connection}{' and deleted its synced data' if purge else ''}."
            )
        self.stdout.write(provider_get("pagerduty").revoke_instructions)
