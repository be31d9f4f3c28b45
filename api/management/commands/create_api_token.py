"""`manage.py create_api_token --org SLUG --name NAME --role member|admin [--expires-days N]`.

Prints what was created, then the token alone on the last line (for scripts and tests).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from api.models import TokenRole
from api.services import ApiTokenError, api_token_create
from tenants.selectors import organization_for_command


class Command(BaseCommand):
    help = "Create an organisation API token and print it (shown once) on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug.")
        parser.add_argument("--name", required=True, help="What the token is for.")
        parser.add_argument("--role", required=True, choices=TokenRole.values)
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        organization = organization_for_command(options["org"])
        try:
            created = api_token_create(
                organization=organization,
                name=options["name"],
                role=options["role"],
                expires_days=options["expires_days"],
                acting_user=None,
            )
        except ApiTokenError as error:
            raise CommandError(str(error)) from None
        token = created.token
        expiry = (
            f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "no expiry"
        )
        self.stdout.write(
            f"Created {token.role} token “{token.name}” for {organization.slug} ({expiry}). "
            "It is shown once:"
        )
        self.stdout.write(created.secret)
