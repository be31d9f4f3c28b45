"""How to make another organisation's object for each id a URL under /o/<org_slug>/ takes.

The tenant-isolation walk fills every URL kwarg from this table; a URL with a kwarg that has
no entry here fails the walk, so each new page must say how its objects are made.
"""

from collections.abc import Callable

from tenants.models import Organization
from tests.checks.factories import DisclosureFactory, SpecialCaseFactory
from tests.factories import (
    ConnectionFactory,
    InvitationFactory,
    MembershipFactory,
    OrgRoleFactory,
    RemoteIncidentFactory,
    StaffMemberFactory,
)

FOREIGN_OBJECT_MAKERS: dict[str, Callable[[Organization], object]] = {
    # Check codes are global, not tenant-owned: an unknown code must be a 404 like a foreign id.
    "check_code": lambda organization: "no_such_check",
    "connection_id": lambda organization: ConnectionFactory(organization=organization).pk,
    "disclosure_id": lambda organization: (
        DisclosureFactory(review__incident__connection__organization=organization).pk
    ),
    "incident_id": lambda organization: (
        RemoteIncidentFactory(connection__organization=organization).pk
    ),
    "invitation_id": lambda organization: InvitationFactory(organization=organization).pk,
    "membership_id": lambda organization: MembershipFactory(organization=organization).pk,
    "org_role_id": lambda organization: OrgRoleFactory(organization=organization).pk,
    "special_case_id": lambda organization: SpecialCaseFactory(organization=organization).pk,
    "staff_id": lambda organization: StaffMemberFactory(organization=organization).pk,
}
