"""Tenant resolution: one place turns `/o/<org_slug>/...` into an organisation and a role.

Every org page is wrapped by `org_view`; every tenant-owned lookup goes through `get_in_org`,
so a missing object and another organisation's object give the same 404.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from tenants.models import Membership, Organization
from tenants.permissions import Action, Permissions, role_can

ModelType = TypeVar("ModelType", bound=Model)


def membership_for(*, user: Any, org_slug: str) -> Membership:
    """The user's membership of the organisation, or 404 whether the org is missing or foreign."""
    try:
        return Membership.objects.select_related("organization").get(
            user=user, organization__slug=org_slug
        )
    except Membership.DoesNotExist:
        raise Http404("No such organisation.") from None


def get_in_org(
    queryset: QuerySet[ModelType], *, organization: Organization, **lookup: Any
) -> ModelType:
    """Look an object up inside the organisation; missing and foreign give the same 404."""
    try:
        return queryset.get(organization=organization, **lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found.") from None


def org_view(action: Action) -> Callable:
    """Resolve the org and membership, check `action` against the role table, then call the view.

    The view receives `request.organization`, `request.membership` and `request.can`.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = membership_for(user=request.user, org_slug=org_slug)
            request.organization = membership.organization
            request.membership = membership
            request.can = Permissions(membership.role)
            if not role_can(membership.role, action):
                raise PermissionDenied("Your role in this organisation does not allow this.")
            return view(request, *args, **kwargs)

        wrapper.required_action = action
        return wrapper

    return decorator
