"""The one base of every org-scoped API view: `/api/v1/orgs/<org_slug>/...`.

`OrgScopedApiView` resolves the organisation and the caller's role once per request (an API
token's organisation and role, or the signed-in user's membership through `tenants.access`),
checks the method's action against the one role table (`tenants.permissions`), and owns
`get_queryset`: subclasses write `scoped_queryset(organization)` and the base filters it by the
organisation again, so a forgotten filter cannot leak another tenant's rows. Overriding
`get_queryset` raises at import time. The rare view that must read across organisations
implements `dangerously_get_unscoped_queryset()` (greppable, reviewed) and sets
`dangerously_unscoped = True`.

Errors: another organisation's slug or ids is the same 404 as a missing one; a member token
writing is 403; no, a revoked or an expired token is 401 (see `api.errors` for the body).
"""

from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from api.models import ApiToken
from sprintolike.audit_context import audit_facts_reset, audit_facts_set
from tenants.access import membership_for
from tenants.models import Organization
from tenants.permissions import Action, Permissions, role_can


class RoleAllows(BasePermission):
    """The method's action (the view's `read_action` or `write_action`) for the caller's role."""

    message = "Your role in this organisation (or this token's role) does not allow this."

    def has_permission(self, request: Request, view: "OrgScopedApiView") -> bool:
        return role_can(view.role, view.action_for(request.method))


class OrgScopedApiView(GenericAPIView):
    read_action: ClassVar[Action] = Action.VIEW
    write_action: ClassVar[Action | None] = None
    ordering: ClassVar[tuple[str, ...]] = ("-id",)  # unique and indexed: the cursor's key
    dangerously_unscoped: ClassVar[bool] = False
    permission_classes = [RoleAllows]

    organization: Organization
    role: str
    token: ApiToken | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset: implement scoped_queryset(organization)"
                " (or, rarely and reviewed, dangerously_get_unscoped_queryset)."
            )

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        view = super().as_view(**initkwargs)
        # The role walk (tests/tenants/test_permissions.py) reads the least action a URL needs.
        view.required_action = cls.read_action if cls._has_read_methods() else cls.write_action
        return view

    @classmethod
    def _has_read_methods(cls) -> bool:
        return hasattr(cls, "get")

    # --- Organisation and role, once per request ------------------------------------------

    def check_permissions(self, request: Request) -> None:
        """Runs right after authentication: resolve the org, then apply the role table."""
        self.resolve_organization(request)
        super().check_permissions(request)

    def resolve_organization(self, request: Request) -> None:
        slug = self.kwargs.get("org_slug", "")
        token = request.auth if isinstance(request.auth, ApiToken) else None
        self.token = token
        if token is not None:
            if token.organization.slug != slug:
                raise_not_found()
            self.organization, self.role = token.organization, token.role
        elif request.user and request.user.is_authenticated:
            membership = membership_for(user=request.user, org_slug=slug)
            self.organization, self.role = membership.organization, membership.role
        else:
            raise NotAuthenticated("Send an API token: “Authorization: Bearer <token>”.")
        request.organization = self.organization
        request.can = Permissions(self.role)
        if token is not None:
            self._audit_facts = audit_facts_set(
                api_token={"id": token.pk, "name": token.name, "last_four": token.last_four}
            )

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any):
        if getattr(self, "_audit_facts", None) is not None:
            audit_facts_reset(self._audit_facts)
            self._audit_facts = None
        return super().finalize_response(request, response, *args, **kwargs)

    def action_for(self, method: str | None) -> Action:
        if method in SAFE_METHODS or self.write_action is None:
            return self.read_action
        return self.write_action

    @property
    def acting_user(self) -> Any:
        """Who services record as the actor: the signed-in user, or None for a token."""
        return None if self.token is not None else self.request.user

    # --- Querysets: always inside the organisation ----------------------------------------

    def scoped_queryset(self, organization: Organization) -> QuerySet:
        raise NotImplementedError(f"{type(self).__name__} must implement scoped_queryset()")

    def dangerously_get_unscoped_queryset(self) -> QuerySet:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:  # final: see __init_subclass__
        if self.dangerously_unscoped:
            return self.dangerously_get_unscoped_queryset()
        return self.scoped_queryset(self.organization).filter(organization=self.organization)

    def get_object(self) -> Model:
        """Looked up inside the organisation: missing, foreign and malformed ids are one 404."""
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        try:
            obj = self.get_queryset().get(**{self.lookup_field: lookup})
        except (self.get_queryset().model.DoesNotExist, ValueError, TypeError):
            raise_not_found()
        self.check_object_permissions(self.request, obj)
        return obj

    def url_objects_exist(self) -> None:
        """404 for a URL naming objects outside the organisation; views with other URL kwargs
        (a check code) override it."""
        if (self.lookup_url_kwarg or self.lookup_field) in self.kwargs:
            self.get_object()

    def http_method_not_allowed(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # A foreign object is a 404 whatever the method: a 405 would confirm that it exists.
        self.url_objects_exist()
        return super().http_method_not_allowed(request, *args, **kwargs)

    # --- Input ----------------------------------------------------------------------------

    def validated_query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """The query string's filters, or a 400 naming each bad one."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def validated_body(
        self, serializer_class: type[serializers.Serializer], **kwargs: Any
    ) -> dict[str, Any]:
        serializer = serializer_class(data=self.request.data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def paginated(self, queryset: QuerySet, rows: Any) -> Response:
        """Paginate `queryset` by `ordering`; `rows(page)` turns a page into JSON-able rows."""
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(rows(page))


def raise_not_found() -> None:
    raise NotFound("Not found.")


def refuse(message: str, *, field: str | None = None) -> None:
    """A change the domain's rules refuse, as a 400 (naming the field when there is one)."""
    raise serializers.ValidationError(
        {field: [message]} if field else {"non_field_errors": [message]}
    )


def forbid(message: str) -> None:
    raise PermissionDenied(message)
