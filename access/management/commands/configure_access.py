"""`manage.py configure_access`: make a critical system and set its valid access from scripts."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.models import MAX_GRACE_DAYS, ValidAccessMode
from access.services import AccessError, pagerduty_system_get_or_create, valid_access_configure
from integrations.pagerduty.roles import ROLES_BY_PRIVILEGE, PagerDutyRole
from tenants.models import OrgRole
from tenants.selectors import organization_for_command


class Command(BaseCommand):
    help = (
        "Create the critical system if missing and set its valid access. "
        "Example: configure_access --org acme --system pagerduty --role SRE=user "
        "--role 'Engineering manager=admin' --grace-days 2. PagerDuty roles by API value: "
        + ", ".join(role.value for role in ROLES_BY_PRIVILEGE)
        + ". Exit code 1 for an unknown organisation, org role or PagerDuty role."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug.")
        parser.add_argument("--system", required=True, choices=["pagerduty"])
        mode = parser.add_mutually_exclusive_group(required=True)
        mode.add_argument(
            "--all-staff", action="store_true", help="Any active staff member may hold an account."
        )
        mode.add_argument(
            "--role",
            action="append",
            metavar="ORG_ROLE=PAGERDUTY_ROLE",
            help="An org role that may hold an account and its highest PagerDuty role (repeat).",
        )
        parser.add_argument("--grace-days", type=int, default=None, help=f"0 to {MAX_GRACE_DAYS}.")

    def handle(self, *args, **options) -> None:
        organization = organization_for_command(options["org"])
        allowances = {}
        for value in options["role"] or []:
            name, separator, role = value.rpartition("=")
            name, role = name.strip(), role.strip()
            if not separator or not name:
                raise CommandError(
                    f"--role {value!r}: write ORG_ROLE=PAGERDUTY_ROLE, e.g. SRE=user."
                )
            org_role = OrgRole.objects.filter(organization=organization, name__iexact=name).first()
            if org_role is None:
                known = ", ".join(
                    OrgRole.objects.filter(organization=organization).values_list("name", flat=True)
                )
                raise CommandError(
                    f"Unknown org role {name!r} in {organization.slug}. Known: {known or 'none'}."
                )
            if role not in PagerDutyRole._value2member_map_:
                raise CommandError(
                    f"Unknown PagerDuty role {role!r}. Use an API value: "
                    + ", ".join(item.value for item in ROLES_BY_PRIVILEGE)
                    + "."
                )
            allowances[org_role] = role
        system = pagerduty_system_get_or_create(organization=organization, acting_user=None)
        grace_days = (
            options["grace_days"] if options["grace_days"] is not None else system.grace_days
        )
        try:
            valid_access_configure(
                system=system,
                mode=ValidAccessMode.ALL_STAFF
                if options["all_staff"]
                else ValidAccessMode.ROLE_BASED,
                allowances=allowances,
                grace_days=grace_days,
                acting_user=None,
            )
        except AccessError as error:
            raise CommandError(str(error)) from None
        if options["all_staff"]:
            summary = "all staff"
        else:
            summary = ", ".join(
                f"{org_role.name} → {PagerDutyRole(role).label}"
                for org_role, role in allowances.items()
            )
        self.stdout.write(
            f"{system.name} in {organization.slug}: {summary}; grace {grace_days} day(s)."
        )
