"""Foreign objects for the tenant pages' URL kwargs (see `tests/foreign_objects.py`)."""

from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    OrgRoleFactory,
    StaffMemberFactory,
)

FOREIGN_OBJECT_MAKERS = {
    "invitation_id": lambda organization: InvitationFactory(organization=organization).pk,
    "membership_id": lambda organization: MembershipFactory(organization=organization).pk,
    "org_role_id": lambda organization: OrgRoleFactory(organization=organization).pk,
    "staff_id": lambda organization: StaffMemberFactory(organization=organization).pk,
}
