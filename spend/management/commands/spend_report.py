import json as json_module

from django.core.management.base import BaseCommand

from spend.money import format_cents
from spend.report import spend_report
from spend.rollups import spend_refresh_organization
from tenants.selectors import organization_for_command


class Command(BaseCommand):
    help = "Print each SaaS service's spend, members, monthly usage and insights."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("--json", action="store_true", help="Print the stable JSON report")
        parser.add_argument(
            "--no-refresh",
            action="store_true",
            help="Report the stored rollups as they are (by default they are recomputed from the "
            "synced records first; PagerDuty is never called)",
        )

    def handle(self, *args, org: str, json: bool, no_refresh: bool, **options) -> None:
        organization = organization_for_command(org)
        if not no_refresh:
            spend_refresh_organization(organization_id=organization.pk)
        report = spend_report(organization=organization)
        if json:
            self.stdout.write(_dumps(report))
            return
        if not report["services"]:
            self.stdout.write("No services yet.")
        for service in report["services"]:
            currency = service["currency"]
            self.stdout.write(
                f"{service['name']}: {format_cents(service['monthly_spend_cents'], currency)} "
                f"a month, {service['members']['total']} members "
                f"({service['members']['active']} active)"
            )
            for insight in service["insights"]:
                self.stdout.write(
                    f"  {insight['title']}: {insight['count']}, saves "
                    f"{format_cents(insight['monthly_saving_cents'], currency)} a month"
                )


def _dumps(report: dict) -> str:
    return json_module.dumps(report, indent=2)
