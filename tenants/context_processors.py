from django.http import HttpRequest

from tenants.permissions import Permissions
from tenants.selectors import membership_list_for_user


def organization(request: HttpRequest) -> dict:
    """The current org, the caller's permissions and the org switcher's list."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = getattr(request, "organization", None)
    return {
        "current_org": current,
        "current_membership": getattr(request, "membership", None),
        "can": getattr(request, "can", Permissions(None)),
        "user_memberships": membership_list_for_user(user=user),
    }
