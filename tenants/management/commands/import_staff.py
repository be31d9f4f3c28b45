from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tenants.selectors import organization_for_command
from tenants.staff_import import staff_import


class Command(BaseCommand):
    help = (
        "Import staff from a CSV file (name,email,org_role,status,start_date,last_working_day). "
        "Any bad row imports nothing; the problems are printed and the exit code is 1."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--org", required=True, help="Organisation slug")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--create-missing-org-roles",
            action="store_true",
            help="Create org roles named in the file that do not exist yet",
        )

    def handle(
        self, *args, org: str, file: Path, create_missing_org_roles: bool, **options
    ) -> None:
        organization = organization_for_command(org)
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        result = staff_import(
            organization=organization,
            content=content,
            create_missing_org_roles=create_missing_org_roles,
        )
        if not result.ok:
            for error in result.errors:
                self.stderr.write(f"line {error.line_number}: {error.message}")
            raise CommandError(f"Nothing imported: {len(result.errors)} bad row(s).")
        self.stdout.write(
            f"Imported staff into {organization.slug}: {result.created} added, "
            f"{result.updated} updated, org roles created: {len(result.org_roles_created)}."
        )
