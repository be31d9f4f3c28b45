"""API of access management (read): `accounts/` (PagerDuty accounts with who they belong to),
`critical-systems/` (settings and summary counts) and their access reviews (items with
decisions and follow-ups on the detail).

Identification is access management's: when PagerDuty is a critical system its accounts come
from `access.accounts.system_accounts` (mappings by hand and "not a staff account" marks win
over the email match); otherwise Spend's `member_staff_match` matches staff emails and
alternate emails, so an account is `auto` or `not_identified`."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from access import selectors
from access.account_facts import identity_counts_of_systems
from access.accounts import access_connections, system_accounts
from access.checks import allowances_of_systems, pagerduty_system_lookup
from access.models import (
    AccessReview,
    CriticalSystem,
    FollowUpStatus,
    ReviewChange,
    ReviewDecision,
    SystemKind,
    ValidAccessMode,
)
from access.rules import IDENTIFICATION_CHOICES, Identification
from api.base import OrgScopedApiView, raise_not_found
from integrations.models import RemoteAccount
from integrations.pagerduty.roles import ROLE_CHOICES, role_label
from spend.selectors import member_staff_match
from tenants.models import Organization, StaffStatus

YES_NO = ["true", "false"]
REVIEW_STATUSES = ["open", "overdue", "completed"]


# --- Serializers: shapes only -----------------------------------------------------------------


class StaffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=StaffStatus.choices)


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pagerduty_id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.CharField(help_text="PagerDuty's API value (e.g. `limited_user`).")
    role_label = serializers.CharField()
    license = serializers.CharField(allow_null=True)
    invitation_pending = serializers.BooleanField()
    last_sign_in_at = serializers.DateTimeField(allow_null=True, help_text="Last seen.")
    on_schedule = serializers.BooleanField(allow_null=True, help_text="Null: unknown.")
    on_escalation_policy = serializers.BooleanField(allow_null=True, help_text="Null: unknown.")
    removed_at = serializers.DateTimeField(allow_null=True, help_text="Removed from PagerDuty.")
    identification = serializers.ChoiceField(choices=IDENTIFICATION_CHOICES)
    identification_label = serializers.CharField()
    staff_member = StaffRefSerializer(allow_null=True)


class AccountFilters(serializers.Serializer):
    identification = serializers.ChoiceField(choices=IDENTIFICATION_CHOICES, required=False)
    removed = serializers.ChoiceField(
        choices=YES_NO, required=False, help_text="true: removed from PagerDuty; false: live."
    )
    role = serializers.ChoiceField(choices=ROLE_CHOICES, required=False)
    q = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="In the name or email."
    )


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.CharField()


class SystemCountsSerializer(serializers.Serializer):
    accounts = serializers.IntegerField(help_text="Live accounts.")
    identified = serializers.IntegerField()
    not_identified = serializers.IntegerField()
    not_staff = serializers.IntegerField()
    invalid = serializers.IntegerField(help_text="Held without valid access.")
    offboarded_with_access = serializers.IntegerField()


class CriticalSystemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=SystemKind.choices)
    description = serializers.CharField()
    owner = UserRefSerializer(allow_null=True)
    valid_access_type = serializers.ChoiceField(choices=ValidAccessMode.choices)
    grace_days = serializers.IntegerField()
    review_period_months = serializers.IntegerField()
    counts = SystemCountsSerializer()


class ReviewCountsSerializer(serializers.Serializer):
    accounts = serializers.IntegerField(help_text="Items, not counting removed accounts.")
    decided = serializers.IntegerField()
    follow_ups_open = serializers.IntegerField()


class AccessReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    system_id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=REVIEW_STATUSES)
    started_at = serializers.DateTimeField()
    due_on = serializers.DateField()
    completed_at = serializers.DateTimeField(allow_null=True)
    reviewer = UserRefSerializer(allow_null=True)
    counts = ReviewCountsSerializer()


class ReviewDetailCountsSerializer(ReviewCountsSerializer):
    new = serializers.IntegerField()
    removed = serializers.IntegerField()
    follow_ups_done = serializers.IntegerField()


class ReviewItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account_key = serializers.CharField()
    account_name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.CharField()
    license = serializers.CharField()
    identification = serializers.ChoiceField(choices=IDENTIFICATION_CHOICES)
    staff_member_id = serializers.IntegerField(allow_null=True)
    staff_name = serializers.CharField()
    staff_status = serializers.CharField()
    org_role = serializers.CharField()
    last_sign_in_at = serializers.DateTimeField(allow_null=True)
    change = serializers.ChoiceField(choices=ReviewChange.choices)
    suggested_decision = serializers.ChoiceField(choices=ReviewDecision.choices, allow_blank=True)
    suggestion_reason = serializers.CharField()
    decision = serializers.ChoiceField(
        choices=ReviewDecision.choices, allow_blank=True, help_text="Blank: not decided."
    )
    downgrade_to = serializers.CharField()
    comment = serializers.CharField()
    decided_by = UserRefSerializer(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    follow_up = serializers.ChoiceField(choices=FollowUpStatus.choices, allow_blank=True)
    follow_up_done_at = serializers.DateTimeField(allow_null=True)


class AccessReviewDetailSerializer(AccessReviewSerializer):
    counts = ReviewDetailCountsSerializer()
    items = ReviewItemSerializer(many=True)


# --- Rows -------------------------------------------------------------------------------------


def _user(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "email": user.email} if user is not None else None


def identified_accounts(*, organization: Organization) -> QuerySet[RemoteAccount]:
    """Live and removed PagerDuty accounts with `identification`, `staff_pk`, `staff_name` and
    `staff_status` (see the module docstring for which identification applies)."""
    system = pagerduty_system_lookup(organization)
    if system is not None:
        return system_accounts(system=system, live_only=False)
    accounts = RemoteAccount.objects.filter(
        organization=organization, connection__in=access_connections(organization=organization)
    ).select_related("license")
    return member_staff_match(organization=organization, accounts=accounts).annotate(
        identification=Case(
            When(staff_pk__isnull=False, then=Value(Identification.AUTO.value)),
            default=Value(Identification.NOT_IDENTIFIED.value),
            output_field=CharField(),
        )
    )


def _account_row(account: Any) -> dict[str, Any]:
    staff_id = getattr(account, "staff_id", None) or getattr(account, "staff_pk", None)
    return {
        "id": account.pk,
        "pagerduty_id": account.external_id,
        "name": account.name,
        "email": account.email,
        "role": account.role,
        "role_label": role_label(account.role),
        "license": account.license.name if account.license_id else None,
        "invitation_pending": account.invitation_pending,
        "last_sign_in_at": account.last_sign_in_at,
        "on_schedule": account.on_schedule,
        "on_escalation_policy": account.on_escalation_policy,
        "removed_at": account.removed_at,
        "identification": account.identification,
        "identification_label": Identification(account.identification).label,
        "staff_member": (
            {"id": staff_id, "name": account.staff_name, "status": account.staff_status}
            if staff_id
            else None
        ),
    }


def _access_policies(systems: list[CriticalSystem]) -> dict[int, selectors.AccessPolicy]:
    """`selectors.access_policy` of several systems: one query for the allowances of the
    role-based ones."""
    allowances = allowances_of_systems(systems)
    return {
        system.pk: selectors.AccessPolicy(
            system.valid_access_mode == ValidAccessMode.ROLE_BASED, allowances[system.pk]
        )
        for system in systems
    }


def _system_rows(systems: list[CriticalSystem]) -> list[dict[str, Any]]:
    """Rows of a page of systems in a bounded number of queries, whatever its size."""
    groups, policies = identity_counts_of_systems(systems), _access_policies(systems)
    return [
        {
            "id": system.pk,
            "name": system.name,
            "kind": system.kind,
            "description": system.description,
            "owner": _user(system.owner),
            "valid_access_type": system.valid_access_mode,
            "grace_days": system.grace_days,
            "review_period_months": system.review_period_months,
            "counts": selectors.summary_counts(system, groups[system.pk], policies[system.pk]),
        }
        for system in systems
    ]


def _review_status(review: AccessReview) -> str:
    if review.completed_at is not None:
        return "completed"
    return "overdue" if timezone.now().date() > review.due_on else "open"


def _review_row(review: AccessReview) -> dict[str, Any]:
    return {
        "id": review.pk,
        "system_id": review.system_id,
        "status": _review_status(review),
        "started_at": review.started_at,
        "due_on": review.due_on,
        "completed_at": review.completed_at,
        "reviewer": _user(review.reviewer),
        "counts": {
            "accounts": review.account_count,
            "decided": review.decided_count,
            "follow_ups_open": review.open_follow_ups,
        },
    }


def _review_detail(review: AccessReview) -> dict[str, Any]:
    counts = selectors.review_counts(review=review)
    return {
        **_review_row(review),
        "counts": {
            "accounts": counts["total"],
            "decided": counts["decided"],
            "new": counts["new"],
            "removed": counts["removed"],
            "follow_ups_open": counts["follow_ups_open"],
            "follow_ups_done": counts["follow_ups_done"],
        },
        "items": [
            {
                "id": item.pk,
                "account_key": item.account_key,
                "account_name": item.account_name,
                "email": item.email,
                "role": item.role,
                "license": item.license_name,
                "identification": item.identification,
                "staff_member_id": item.staff_member_id,
                "staff_name": item.staff_name,
                "staff_status": item.staff_status,
                "org_role": item.org_role_name,
                "last_sign_in_at": item.last_sign_in_at,
                "change": item.change,
                "suggested_decision": item.suggested_decision,
                "suggestion_reason": item.suggestion_reason,
                "decision": item.decision,
                "downgrade_to": item.downgrade_to,
                "comment": item.comment,
                "decided_by": _user(item.decided_by),
                "decided_at": item.decided_at,
                "follow_up": item.follow_up,
                "follow_up_done_at": item.follow_up_done_at,
            }
            for item in selectors.review_items(review=review)
        ],
    }


# --- Views ------------------------------------------------------------------------------------


class AccountListApi(OrgScopedApiView):
    serializer_class = AccountSerializer
    ordering = ("id",)

    def scoped_queryset(self, organization: Organization) -> QuerySet[RemoteAccount]:
        filters = self.validated_query(AccountFilters)
        queryset = identified_accounts(organization=organization)
        if filters.get("identification"):
            queryset = queryset.filter(identification=filters["identification"])
        if filters.get("removed"):
            queryset = queryset.filter(removed_at__isnull=filters["removed"] == "false")
        if filters.get("role"):
            queryset = queryset.filter(role=filters["role"])
        if filters.get("q"):
            queryset = queryset.filter(
                Q(name__icontains=filters["q"]) | Q(email__icontains=filters["q"])
            )
        return queryset

    @extend_schema(
        parameters=[AccountFilters],
        responses=AccountSerializer(many=True),
        summary="PagerDuty accounts with who they belong to",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(),
            lambda page: AccountSerializer([_account_row(row) for row in page], many=True).data,
        )


class AccountDetailApi(OrgScopedApiView):
    serializer_class = AccountSerializer
    lookup_url_kwarg = "account_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[RemoteAccount]:
        return identified_accounts(organization=organization)

    @extend_schema(summary="One PagerDuty account with who it belongs to")
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(AccountSerializer(_account_row(self.get_object())).data)


class CriticalSystemListApi(OrgScopedApiView):
    serializer_class = CriticalSystemSerializer
    ordering = ("id",)

    def scoped_queryset(self, organization: Organization) -> QuerySet[CriticalSystem]:
        return selectors.critical_system_list(organization=organization)

    @extend_schema(
        responses=CriticalSystemSerializer(many=True),
        summary="Critical systems with their access settings and summary counts",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(),
            lambda page: CriticalSystemSerializer(_system_rows(list(page)), many=True).data,
        )


class CriticalSystemDetailApi(OrgScopedApiView):
    serializer_class = CriticalSystemSerializer
    lookup_url_kwarg = "system_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[CriticalSystem]:
        return selectors.critical_system_list(organization=organization)

    @extend_schema(summary="One critical system")
    def get(self, request: Request, **kwargs: Any) -> Response:
        [row] = _system_rows([self.get_object()])
        return Response(CriticalSystemSerializer(row).data)


class _SystemReviewsMixin:
    """Reviews of the URL's system: a system outside the organisation is a 404."""

    def system(self, organization: Organization) -> CriticalSystem:
        system = CriticalSystem.objects.filter(
            organization=organization, pk=self.kwargs["system_id"]
        ).first()
        if system is None:
            raise_not_found()
        return system

    def scoped_queryset(self, organization: Organization) -> QuerySet[AccessReview]:
        return selectors.review_list(system=self.system(organization))


class AccessReviewListApi(_SystemReviewsMixin, OrgScopedApiView):
    serializer_class = AccessReviewSerializer
    ordering = ("-id",)

    def url_objects_exist(self) -> None:
        self.system(self.organization)

    @extend_schema(
        responses=AccessReviewSerializer(many=True),
        summary="Access reviews of a critical system, newest first",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(),
            lambda page: AccessReviewSerializer([_review_row(r) for r in page], many=True).data,
        )


class AccessReviewDetailApi(_SystemReviewsMixin, OrgScopedApiView):
    serializer_class = AccessReviewDetailSerializer
    lookup_url_kwarg = "review_id"
    lookup_field = "pk"

    @extend_schema(summary="One access review with its items, decisions and follow-ups")
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(AccessReviewDetailSerializer(_review_detail(self.get_object())).data)


app_name = "access"

system = "critical-systems/<int:system_id>"

urlpatterns = [
    path("accounts/", AccountListApi.as_view(), name="account_list"),
    path("accounts/<int:account_id>/", AccountDetailApi.as_view(), name="account_detail"),
    path("critical-systems/", CriticalSystemListApi.as_view(), name="critical_system_list"),
    path(f"{system}/", CriticalSystemDetailApi.as_view(), name="critical_system_detail"),
    path(f"{system}/access-reviews/", AccessReviewListApi.as_view(), name="access_review_list"),
    path(
        f"{system}/access-reviews/<int:review_id>/",
        AccessReviewDetailApi.as_view(),
        name="access_review_detail",
    ),
]
