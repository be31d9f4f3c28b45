"""How to make another organisation's object for each id a URL under /o/<org_slug>/ takes.

The tenant-isolation walk fills every URL kwarg from this table; a URL with a kwarg that has
no entry here fails the walk, so each new page must say how its objects are made.
"""

from collections.abc import Callable

from tenants.models import Organization
from tests.factories import (
    ConnectionFactory,
    InvitationFactory,
    MembershipFactory,
    OrgRoleFactory,
    StaffMemberFactory,
)

FOREIGN_OBJECT_MAKERS: dict[str, Callable[[Organization], object]] = {
    "connection_id": lambda organization: ConnectionFactory(organization=organization).pk,
    "invitation_id": lambda organization: InvitationFactory(organization=organization).pk,
    "membership_id": lambda organization: MembershipFactory(organization=organization).pk,
    "org_role_id": lambda organization: OrgRoleFactory(organization=organization).pk,
    "staff_id": lambda organization: StaffMemberFactory(organization=organization).pk,
}
