"""Staff CSV import: every row checked before anything is stored; all or nothing, each bad row
reported with its line number (the page, `manage.py import_staff` and the API share it)."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from tenants.alternate_emails import (
    alternate_email_clashes,
    alternate_emails_parse,
    alternate_emails_replace,
)
from tenants.hooks import staff_changed
from tenants.models import (
    Organization,
    OrgRole,
    StaffMember,
    StaffStatus,
)
from tenants.services import audit_event_record

STAFF_IMPORT_COLUMNS = (
    "name",
    "email",
    "org_role",
    "status",
    "start_date",
    "last_working_day",
    "alternate_emails",
)
STAFF_IMPORT_MAX_ROWS = 20_000
STAFF_IMPORT_EXAMPLE_ROW = (
    "Grace Hopper",
    "grace@example.com",
    "SRE",
    "active",
    "2024-01-15",
    "",
    "g.hopper@example.com",
)


def staff_import_template() -> str:
    """The CSV the import page offers: the columns it reads and one row that imports cleanly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STAFF_IMPORT_COLUMNS)
    writer.writerow(STAFF_IMPORT_EXAMPLE_ROW)
    return buffer.getvalue()


@dataclass
class StaffImportRowError:
    line_number: int
    message: str


@dataclass
class StaffImportResult:
    created: int = 0
    updated: int = 0
    org_roles_created: list[str] = field(default_factory=list)
    errors: list[StaffImportRowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _StaffRow:
    line_number: int
    name: str
    email: str
    org_role_name: str
    status: str
    start_date: date | None
    last_working_day: date | None
    alternate_emails: list[str] | None = None


def _parse_date(value: str, column: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{column} “{_shown(value)}” is not a date in the form YYYY-MM-DD"
        ) from None


def _shown(value: str, limit: int = 60) -> str:
    """A cell as quoted in an error message: short enough to read."""
    return value if len(value) <= limit else f"{value[:limit]}…"


def _staff_import_column_lengths() -> dict[str, int]:
    """The longest value each text column takes, from the models (PostgreSQL refuses longer)."""
    return {
        "name": StaffMember._meta.get_field("name").max_length,
        "email": StaffMember._meta.get_field("email").max_length,
        "org_role": OrgRole._meta.get_field("name").max_length,
    }


def _cell_problems(row: dict[str, str]) -> list[str]:
    """NUL characters (PostgreSQL cannot store them) and values longer than their column."""
    problems = []
    lengths = _staff_import_column_lengths()
    for column in STAFF_IMPORT_COLUMNS:
        value = (row.get(column) or "").strip()
        if "\x00" in value:
            problems.append(f"{column} contains a NUL character")
        elif column in lengths and len(value) > lengths[column]:
            problems.append(
                f"{column} is {len(value):,} characters long; the most is {lengths[column]}"
            )
    return problems


def _validate_staff_row(
    line_number: int, row: dict[str, str]
) -> tuple[_StaffRow | None, list[str]]:
    problems = _cell_problems(row)
    if problems:
        return None, problems
    name = (row.get("name") or "").strip()
    email = (row.get("email") or "").strip().lower()
    status = (row.get("status") or "").strip().lower() or StaffStatus.ACTIVE
    if not name:
        problems.append("name is empty")
    if not email:
        problems.append("email is empty")
    else:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"email “{_shown(email)}” is not a valid address")
    if status not in StaffStatus.values:
        problems.append(f"status “{_shown(status)}” must be one of {', '.join(StaffStatus.values)}")
    start_date = last_working_day = None
    for column in ("start_date", "last_working_day"):
        try:
            parsed = _parse_date(row.get(column) or "", column)
        except ValueError as error:
            problems.append(str(error))
            continue
        if column == "start_date":
            start_date = parsed
        else:
            last_working_day = parsed
    if status == StaffStatus.OFFBOARDED and last_working_day is None and not problems:
        problems.append("an offboarded person needs a last_working_day")
    if start_date and last_working_day and last_working_day < start_date:
        problems.append("last_working_day is before start_date")
    alternate_emails = None
    if "alternate_emails" in row:
        alternate_emails, alternate_problems = alternate_emails_parse(row["alternate_emails"] or "")
        problems.extend(f"alternate_emails: {problem}" for problem in alternate_problems)
        if email in alternate_emails:
            problems.append("alternate_emails repeats the main email")
    if problems:
        return None, problems
    return (
        _StaffRow(
            line_number=line_number,
            name=name,
            email=email,
            org_role_name=(row.get("org_role") or "").strip(),
            status=status,
            start_date=start_date,
            last_working_day=last_working_day,
            alternate_emails=alternate_emails,
        ),
        [],
    )


def _read_staff_csv(content: bytes) -> tuple[list[_StaffRow], list[StaffImportRowError]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [StaffImportRowError(0, "The file is not UTF-8 text; save it as CSV UTF-8.")]
    # newline="": the csv module itself recognises \r\n, \n and the old Mac's lone \r.
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _read_staff_rows(reader)
    except csv.Error as error:
        # The reader stops inside the line it could not parse, before counting it.
        return [], [StaffImportRowError(reader.line_num + 1, _csv_error_message(error))]


def _csv_error_message(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return (
            f"A cell is longer than {csv.field_size_limit():,} characters; no column takes that "
            "much. Is a closing quote missing?"
        )
    return f"This line is not valid CSV ({error}). Nothing was imported."


def _read_staff_rows(
    reader: csv.DictReader,
) -> tuple[list[_StaffRow], list[StaffImportRowError]]:
    header = [column.strip().lower() for column in (reader.fieldnames or [])]
    missing = [column for column in ("name", "email") if column not in header]
    if missing:
        return [], [
            StaffImportRowError(
                1,
                f"Missing column(s): {', '.join(missing)}. Expected columns: "
                f"{','.join(STAFF_IMPORT_COLUMNS)}.",
            )
        ]
    unknown = [_shown(column) for column in header if column not in STAFF_IMPORT_COLUMNS]
    if unknown:
        return [], [StaffImportRowError(1, f"Unknown column(s): {', '.join(unknown)}.")]
    reader.fieldnames = header
    rows: list[_StaffRow] = []
    errors: list[StaffImportRowError] = []
    first_line_of_email: dict[str, int] = {}
    for index, raw in enumerate(reader):
        line_number = reader.line_num
        if index >= STAFF_IMPORT_MAX_ROWS:
            errors.append(
                StaffImportRowError(line_number, f"More than {STAFF_IMPORT_MAX_ROWS} rows.")
            )
            break
        if None in raw:
            errors.append(
                StaffImportRowError(line_number, "This row has more cells than the header.")
            )
            continue
        if not any((value or "").strip() for value in raw.values()):
            continue
        parsed, problems = _validate_staff_row(line_number, raw)
        if problems:
            errors.append(StaffImportRowError(line_number, "; ".join(problems)))
            continue
        if parsed.email in first_line_of_email:
            errors.append(
                StaffImportRowError(
                    line_number,
                    f"email {parsed.email} also appears on line {first_line_of_email[parsed.email]}",
                )
            )
            continue
        first_line_of_email[parsed.email] = line_number
        rows.append(parsed)
    return rows, errors


def _alternate_email_row_errors(
    *, organization: Organization, rows: list[_StaffRow]
) -> list[StaffImportRowError]:
    """An alternate email may belong to one person only: in the file and in the directory."""
    errors: list[StaffImportRowError] = []
    owner_in_file: dict[str, str] = {row.email: row.email for row in rows}
    for row in rows:
        for email in row.alternate_emails or ():
            owner = owner_in_file.setdefault(email, row.email)
            if owner != row.email:
                errors.append(
                    StaffImportRowError(row.line_number, f"alternate email {email} is {owner}’s")
                )
    wanted = {email for row in rows for email in row.alternate_emails or ()}
    if not wanted:
        return errors
    # People re-imported by this file get their alternate emails rewritten by it.
    reimported = StaffMember.objects.filter(
        organization=organization, email__in=[row.email for row in rows]
    ).values_list("pk", flat=True)
    clashes = alternate_email_clashes(
        organization=organization, emails=wanted, exclude_staff_ids=list(reimported)
    )
    for row in rows:
        for email in row.alternate_emails or ():
            if email in clashes:
                errors.append(
                    StaffImportRowError(
                        row.line_number,
                        f"alternate email {email} already belongs to {clashes[email]}",
                    )
                )
    return errors


def staff_import(
    *,
    organization: Organization,
    content: bytes,
    create_missing_org_roles: bool,
    acting_user: Any = None,
) -> StaffImportResult:
    """Import (create or update by email) staff from CSV: all rows or, on any bad row, none.

    Columns: name,email,org_role,status,start_date,last_working_day,alternate_emails (separated
    by ;). Every bad row is reported
    with its line number so the user can fix the file in one go.
    """
    rows, errors = _read_staff_csv(content)
    if not rows and not errors:
        errors.append(StaffImportRowError(0, "The file has no staff rows."))
    existing_roles = {role.name.lower(): role for role in organization.org_roles.all()}
    unknown_roles: dict[str, str] = {}
    for row in rows:
        key = row.org_role_name.lower()
        if row.org_role_name and key not in existing_roles:
            if create_missing_org_roles:
                unknown_roles.setdefault(key, row.org_role_name)
            else:
                errors.append(
                    StaffImportRowError(
                        row.line_number,
                        f"org role “{row.org_role_name}” does not exist (tick “create missing "
                        "org roles” to create it)",
                    )
                )
    errors.extend(_alternate_email_row_errors(organization=organization, rows=rows))
    result = StaffImportResult(errors=sorted(errors, key=lambda error: error.line_number))
    if result.errors:
        return result

    with transaction.atomic():
        for key, name in unknown_roles.items():
            existing_roles[key] = OrgRole.objects.create(organization=organization, name=name)
            result.org_roles_created.append(name)
        existing_staff = {
            member.email: member
            for member in organization.staff_members.filter(email__in=[row.email for row in rows])
        }
        to_create: list[StaffMember] = []
        to_update: list[StaffMember] = []
        created_rows: list[_StaffRow] = []
        updated_rows: list[_StaffRow] = []
        for row in rows:
            org_role = existing_roles.get(row.org_role_name.lower()) if row.org_role_name else None
            member = existing_staff.get(row.email) or StaffMember(
                organization=organization, email=row.email
            )
            member.name = row.name
            member.org_role = org_role
            member.status = row.status
            member.start_date = row.start_date
            member.last_working_day = row.last_working_day
            member.updated_at = timezone.now()
            (to_update if member.pk else to_create).append(member)
            (updated_rows if member.pk else created_rows).append(row)
        rows_in_order = created_rows + updated_rows
        StaffMember.objects.bulk_create(to_create, batch_size=1000)
        StaffMember.objects.bulk_update(
            to_update,
            ["name", "org_role", "status", "start_date", "last_working_day", "updated_at"],
            batch_size=1000,
        )
        alternate_emails_replace(
            organization=organization,
            emails_by_staff_id={
                member.pk: row.alternate_emails
                for member, row in zip(to_create + to_update, rows_in_order, strict=True)
                if row.alternate_emails is not None
            },
        )
        result.created, result.updated = len(to_create), len(to_update)
        audit_event_record(
            organization=organization,
            actor=acting_user,
            action="staff.import",
            details={
                "created": result.created,
                "updated": result.updated,
                "org_roles_created": result.org_roles_created,
            },
        )
        staff_changed(organization_id=organization.pk)
    return result
