"""Writes of tenant data. Each change is atomic and records an audit event in the same transaction."""

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.text import slugify

from sprintolike.audit_context import audit_facts
from tenants.alternate_emails import (
    alternate_email_clashes,
    alternate_emails_parse,
    alternate_emails_replace,
)
from tenants.models import (
    INVITATION_LIFETIME,
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    OrgRole,
    Role,
    StaffMember,
    StaffStatus,
    hash_invitation_token,
)
from tenants.throttles import Throttle, throttles_first_exceeded, throttles_record


class TenantError(Exception):
    """A change the rules refuse; the message is shown to the user as it is."""


def audit_event_record(
    *,
    organization: Organization,
    actor: Any,
    action: str,
    target: Model | None = None,
    details: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target=str(target)[:300] if target is not None else "",
        details={**(details or {}), **audit_facts()},  # e.g. the API token behind the change
    )


def unique_org_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, counter = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, counter = f"{base}-{counter}", counter + 1
    return slug


@transaction.atomic
def organization_create(*, name: str, owner: Any, slug: str = "") -> Organization:
    slug = slug or unique_org_slug(name)
    if Organization.objects.filter(slug=slug).exists():
        raise TenantError(f"The address “{slug}” is taken; choose another.")
    organization = Organization.objects.create(name=name, slug=slug)
    Membership.objects.create(user=owner, organization=organization, role=Role.OWNER)
    audit_event_record(
        organization=organization, actor=owner, action="organization.create", target=organization
    )
    return organization


def _owner_count(organization: Organization) -> int:
    return organization.memberships.select_for_update().filter(role=Role.OWNER).count()


@transaction.atomic
def membership_role_change(*, membership: Membership, role: str, acting_user: Any) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role not in Role.values:
        raise TenantError("Unknown role.")
    demoting_owner = membership.role == Role.OWNER and role != Role.OWNER
    if demoting_owner and _owner_count(membership.organization) <= 1:
        raise TenantError("The last owner cannot be demoted. Make someone else an owner first.")
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_event_record(
        organization=membership.organization,
        actor=acting_user,
        action="membership.role_change",
        target=membership,
        details={"from": previous, "to": role, "user": membership.user.email},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, acting_user: Any) -> None:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and _owner_count(membership.organization) <= 1:
        raise TenantError("The last owner cannot be removed.")
    audit_event_record(
        organization=membership.organization,
        actor=acting_user,
        action="membership.remove",
        target=membership,
        details={"user": membership.user.email, "role": membership.role},
    )
    membership.delete()


def _invitation_throttles(*, organization: Organization, email: str) -> list[Throttle]:
    """Invitation emails per organisation per hour and per address per day (across all orgs),
    so nobody can use Sprintolike to flood an inbox or to send mail in bulk."""
    return [
        Throttle(
            scope="invitations-per-org",
            key=str(organization.pk),
            limit=settings.INVITATIONS_PER_ORG_PER_HOUR,
            period=timedelta(hours=1),
        ),
        Throttle(
            scope="invitations-per-email",
            key=email,
            limit=settings.INVITATIONS_PER_EMAIL_PER_DAY,
            period=timedelta(days=1),
        ),
    ]


@transaction.atomic
def invitation_create(
    *, organization: Organization, email: str, role: str, invited_by: Any
) -> tuple[Invitation, str]:
    """Create an invitation and return it with the raw token (only its hash is stored)."""
    email = email.strip().lower()
    if organization.memberships.filter(user__email__iexact=email).exists():
        raise TenantError(f"{email} is already a member of this organisation.")
    if (
        role == Role.OWNER
        and not organization.memberships.filter(user=invited_by, role=Role.OWNER).exists()
    ):
        raise TenantError("Only an owner can invite another owner.")
    throttles = _invitation_throttles(organization=organization, email=email)
    exceeded = throttles_first_exceeded(throttles)
    if exceeded is not None and exceeded.scope == "invitations-per-org":
        raise TenantError(
            f"This organisation has sent {exceeded.limit} invitations in the last hour. "
            "Try again later."
        )
    if exceeded is not None:
        raise TenantError(
            f"{email} has been invited {exceeded.limit} times in the last 24 hours. "
            "Try again tomorrow, or ask them to use the latest invitation email."
        )
    throttles_record(throttles)
    organization.invitations.pending().filter(email__iexact=email).update(revoked_at=timezone.now())
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=hash_invitation_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit_event_record(
        organization=organization,
        actor=invited_by,
        action="invitation.create",
        target=invitation,
        details={"email": email, "role": role},
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organization")
        .filter(token_hash=hash_invitation_token(token))
        .first()
    )


def _user_holds_address(*, user: Any, email: str) -> bool:
    """The user's own address, or another address of theirs that they have verified."""
    from allauth.account.models import EmailAddress

    if user.email.lower() == email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: Any) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != "pending":
        raise TenantError(f"This invitation is {invitation.status}; ask for a new one.")
    if not _user_holds_address(user=user, email=invitation.email):
        raise TenantError(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}."
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organization=invitation.organization, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_event_record(
        organization=invitation.organization,
        actor=user,
        action="invitation.accept",
        target=invitation,
        details={"email": invitation.email, "role": membership.role, "new_member": created},
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, acting_user: Any) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_event_record(
        organization=invitation.organization,
        actor=acting_user,
        action="invitation.revoke",
        target=invitation,
        details={"email": invitation.email},
    )


def _check_org_role_name(*, organization: Organization, name: str, exclude_pk: int | None) -> str:
    name = name.strip()
    clash = organization.org_roles.filter(name__iexact=name)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise TenantError(f"An org role named “{name}” already exists.")
    return name


@transaction.atomic
def org_role_create(
    *, organization: Organization, name: str, description: str = "", acting_user: Any
) -> OrgRole:
    name = _check_org_role_name(organization=organization, name=name, exclude_pk=None)
    org_role = OrgRole.objects.create(organization=organization, name=name, description=description)
    audit_event_record(
        organization=organization, actor=acting_user, action="org_role.create", target=org_role
    )
    return org_role


@transaction.atomic
def org_role_update(*, org_role: OrgRole, name: str, description: str, acting_user: Any) -> OrgRole:
    org_role.name = _check_org_role_name(
        organization=org_role.organization, name=name, exclude_pk=org_role.pk
    )
    org_role.description = description
    org_role.save()
    audit_event_record(
        organization=org_role.organization,
        actor=acting_user,
        action="org_role.update",
        target=org_role,
    )
    return org_role


@transaction.atomic
def org_role_delete(*, org_role: OrgRole, acting_user: Any) -> None:
    audit_event_record(
        organization=org_role.organization,
        actor=acting_user,
        action="org_role.delete",
        target=org_role,
        details={"staff_unassigned": org_role.staff_members.count()},
    )
    org_role.delete()


STAFF_FIELDS = ("name", "email", "org_role", "status", "start_date", "last_working_day")


def _staff_details(staff_member: StaffMember) -> dict:
    return {
        "name": staff_member.name,
        "email": staff_member.email,
        "org_role": staff_member.org_role.name if staff_member.org_role else None,
        "status": staff_member.status,
        "start_date": staff_member.start_date.isoformat() if staff_member.start_date else None,
        "last_working_day": (
            staff_member.last_working_day.isoformat() if staff_member.last_working_day else None
        ),
    }


@transaction.atomic
def staff_member_save(
    *, staff_member: StaffMember, acting_user: Any, alternate_emails: list[str] | None = None
) -> StaffMember:
    """Create or update a staff member from a validated instance (a ModelForm's); a list of
    `alternate_emails` replaces the stored ones (None leaves them)."""
    created = staff_member.pk is None
    staff_member.save()
    details = _staff_details(staff_member)
    if alternate_emails is not None:
        alternate_emails_replace(
            organization=staff_member.organization,
            emails_by_staff_id={staff_member.pk: alternate_emails},
        )
        details["alternate_emails"] = alternate_emails
    audit_event_record(
        organization=staff_member.organization,
        actor=acting_user,
        action="staff.create" if created else "staff.update",
        target=staff_member,
        details=details,
    )
    return staff_member


@transaction.atomic
def staff_member_offboard(
    *, staff_member: StaffMember, last_working_day: date, acting_user: Any
) -> StaffMember:
    if staff_member.start_date and last_working_day < staff_member.start_date:
        raise TenantError("The last working day cannot be before the start date.")
    staff_member.status = StaffStatus.OFFBOARDED
    staff_member.last_working_day = last_working_day
    staff_member.save(update_fields=["status", "last_working_day", "updated_at"])
    audit_event_record(
        organization=staff_member.organization,
        actor=acting_user,
        action="staff.offboard",
        target=staff_member,
        details={"last_working_day": last_working_day.isoformat()},
    )
    return staff_member


# --- Staff CSV import --------------------------------------------------------------------------

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
    return result


def user_get_or_create(*, email: str) -> tuple[Any, str | None]:
    """Find a user by email or create one with a one-time password (returned once, never stored)."""
    from allauth.account.models import EmailAddress

    user_model = get_user_model()
    email = email.strip().lower()
    user = user_model.objects.filter(email__iexact=email).first()
    if user:
        return user, None
    password = secrets.token_urlsafe(15)
    user = user_model.objects.create_user(username=email[:150], email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    return user, password
