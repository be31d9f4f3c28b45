from django.core.management.base import BaseCommand, CommandError

from integrations.models import Purpose, Region
from integrations.pagerduty.connect import ConnectError, connect_with_api_key
from tenants.selectors import organization_for_command


def parse_purposes(value: str) -> list[str]:
    purposes = [item.strip() for item in value.split(",") if item.strip()]
    unknown = [purpose for purpose in purposes if purpose not in Purpose.values]
    if unknown or not purposes:
        raise CommandError(
            f"Unknown purpose(s) {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(Purpose.values)}."
        )
    return purposes


class Command(BaseCommand):
    help = (
        "Connect an organisation to PagerDuty with a read-only REST API key (checked first); "
        "its first sync is queued."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--api-key", required=True)
        parser.add_argument("--region", choices=Region.values, default=Region.US)
        parser.add_argument(
            "--purposes",
            default=",".join(Purpose.values),
            help="Comma-separated: incident_management,access_management,spend",
        )

    def handle(self, *args, org: str, api_key: str, region: str, purposes: str, **options) -> None:
        organization = organization_for_command(org)
        try:
            connection = connect_with_api_key(
                organization=organization,
                api_key=api_key,
                region=region,
                purposes=parse_purposes(purposes),
                acting_user=None,
            )
        except ConnectError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Connected {organization.slug} to PagerDuty account {connection.subdomain} "
            f"({connection.get_region_display()}) for {', '.join(connection.purposes)}."
        )
