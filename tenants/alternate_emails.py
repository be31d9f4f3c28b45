"""Staff members' alternate emails: parsing what people type or import, and storing them.

An account is mapped to the staff member whose main *or* alternate email equals the account's
email (case-insensitively), so both live in lower case and each address belongs to one person.
"""

import re
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tenants.models import Organization, StaffAlternateEmail, StaffMember

SEPARATORS = re.compile(r"[;,\s]+")
MAX_ALTERNATE_EMAILS = 10


def alternate_emails_parse(text: str) -> tuple[list[str], list[str]]:
    """(emails in lower case without duplicates, problems) from "a@x.com; b@y.com"."""
    emails: list[str] = []
    problems: list[str] = []
    for value in SEPARATORS.split(text or ""):
        email = value.strip().lower()
        if not email or email in emails:
            continue
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"“{email[:60]}” is not a valid email address")
            continue
        emails.append(email)
    if len(emails) > MAX_ALTERNATE_EMAILS:
        problems.append(f"at most {MAX_ALTERNATE_EMAILS} alternate emails per person")
    return emails, problems


def alternate_email_clashes(
    *, organization: Organization, emails: Iterable[str], exclude_staff_ids: Iterable[int] = ()
) -> dict[str, str]:
    """{email: who already uses it} for addresses another staff member holds (main or
    alternate)."""
    emails = list(emails)
    excluded = list(exclude_staff_ids)
    clashes: dict[str, str] = {}
    main = StaffMember.objects.filter(organization=organization, email__in=emails).exclude(
        pk__in=excluded
    )
    for email, name in main.values_list("email", "name"):
        clashes[email] = name
    alternates = StaffAlternateEmail.objects.filter(
        organization=organization, email__in=emails
    ).exclude(staff_member_id__in=excluded)
    for email, name in alternates.values_list("email", "staff_member__name"):
        clashes.setdefault(email, name)
    return clashes


def alternate_emails_replace(
    *, organization: Organization, emails_by_staff_id: Mapping[int, list[str]]
) -> None:
    """Make each staff member's alternate emails exactly the given list (in bulk)."""
    if not emails_by_staff_id:
        return
    StaffAlternateEmail.objects.filter(
        organization=organization, staff_member_id__in=list(emails_by_staff_id)
    ).delete()
    StaffAlternateEmail.objects.bulk_create(
        [
            StaffAlternateEmail(organization=organization, staff_member_id=staff_id, email=email)
            for staff_id, emails in emails_by_staff_id.items()
            for email in emails
        ],
        batch_size=1000,
    )
