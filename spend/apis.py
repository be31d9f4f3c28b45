"""API of Spend (read): `saas-services/` (tiers, seats, monthly spend and renewal, the figures
of `spend_report --json`), `saas-services/<id>/members/` (the Members tab's rows and filters)
and `saas-services/<id>/usage/` (the monthly rollups, nulls where a figure is not available)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from access.apis import StaffRefSerializer
from api.base import OrgScopedApiView, raise_not_found
from integrations.models import RemoteAccount
from integrations.pagerduty.roles import role_label
from spend import selectors
from spend.models import BillingCycle, Currency, SaasService, UsageMonth
from spend.overview import member_rows
from spend.report import service_figures, usage_row
from tenants.models import Organization

YES_NO = ["yes", "no"]


# --- Serializers: shapes only -----------------------------------------------------------------


class TierSerializer(serializers.Serializer):
    name = serializers.CharField()
    role_group = serializers.CharField()
    seats_used = serializers.IntegerField()
    seats_bought = serializers.IntegerField(allow_null=True)
    price_per_seat_cents = serializers.IntegerField(allow_null=True)


class MemberCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Live accounts.")
    active = serializers.IntegerField()
    inactive = serializers.IntegerField()
    invited = serializers.IntegerField()
    removed = serializers.IntegerField()
    on_call = serializers.IntegerField()


class SaasServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    vendor = serializers.CharField()
    category = serializers.CharField()
    integrated = serializers.BooleanField(help_text="Fed by a PagerDuty connection.")
    currency = serializers.ChoiceField(choices=Currency.choices)
    billing_cycle = serializers.ChoiceField(choices=BillingCycle.choices)
    tiers = TierSerializer(many=True)
    monthly_spend_cents = serializers.IntegerField()
    renewal_date = serializers.DateField(allow_null=True)
    members = MemberCountsSerializer()


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pagerduty_id = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    role = serializers.CharField()
    role_label = serializers.CharField()
    tier = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=selectors.MEMBER_STATUSES)
    status_text = serializers.CharField(help_text="As on the Members tab.")
    last_sign_in_at = serializers.DateTimeField(allow_null=True)
    on_schedule = serializers.BooleanField(allow_null=True, help_text="Null: unknown.")
    on_escalation_policy = serializers.BooleanField(allow_null=True, help_text="Null: unknown.")
    on_call_text = serializers.CharField()
    removed_at = serializers.DateTimeField(allow_null=True)
    staff_member = StaffRefSerializer(allow_null=True)


class MemberFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=selectors.MEMBER_STATUSES, required=False)
    tier = serializers.CharField(max_length=255, required=False, allow_blank=True)
    on_call = serializers.ChoiceField(choices=YES_NO, required=False)
    q = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="In the name or email."
    )


class UsageMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    incidents = serializers.IntegerField()
    alerts = serializers.IntegerField()
    billable_alerts = serializers.IntegerField(allow_null=True, help_text="Null: not available.")
    notifications = serializers.IntegerField(allow_null=True, help_text="Null: not available.")
    peak_seats = serializers.IntegerField(allow_null=True, help_text="Null: not available.")


# --- Rows -------------------------------------------------------------------------------------


def _service_row(service: SaasService, currency: str) -> dict[str, Any]:
    figures = service_figures(service=service, currency=currency)
    return {
        "id": service.pk,
        "name": figures["name"],
        "vendor": service.vendor,
        "category": service.category,
        "integrated": figures["integrated"],
        "currency": figures["currency"],
        "billing_cycle": service.billing_cycle,
        "tiers": figures["tiers"],
        "monthly_spend_cents": figures["monthly_spend_cents"],
        "renewal_date": service.renewal_date,
        "members": figures["members"],
    }


def _member_rows(accounts: list[RemoteAccount]) -> list[dict[str, Any]]:
    return [
        {
            "id": row.account.pk,
            "pagerduty_id": row.account.external_id,
            "name": row.account.name,
            "email": row.account.email,
            "role": row.account.role,
            "role_label": role_label(row.account.role),
            "tier": row.account.tier_name or None,
            "status": row.status,
            "status_text": row.status_text,
            "last_sign_in_at": row.account.last_sign_in_at,
            "on_schedule": row.account.on_schedule,
            "on_escalation_policy": row.account.on_escalation_policy,
            "on_call_text": row.on_call_text,
            "removed_at": row.account.removed_at,
            "staff_member": (
                {
                    "id": row.account.staff_pk,
                    "name": row.account.staff_name,
                    "status": row.account.staff_status,
                }
                if row.account.staff_pk
                else None
            ),
        }
        for row in member_rows(accounts, now=timezone.now())
    ]


# --- Views ------------------------------------------------------------------------------------


class SaasServiceListApi(OrgScopedApiView):
    serializer_class = SaasServiceSerializer
    ordering = ("id",)

    def scoped_queryset(self, organization: Organization) -> QuerySet[SaasService]:
        # A page's tiers in one query; only the organisation's one PagerDuty service (a
        # unique catalog key) adds its seat and member aggregates.
        return selectors.service_list(organization=organization).prefetch_related("tiers")

    @extend_schema(
        responses=SaasServiceSerializer(many=True),
        summary="SaaS services with tiers, seats, monthly spend and renewal",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        currency = selectors.spend_currency(organization=self.organization)
        return self.paginated(
            self.get_queryset(),
            lambda page: (
                SaasServiceSerializer(
                    [_service_row(service, currency) for service in page], many=True
                ).data
            ),
        )


class SaasServiceDetailApi(OrgScopedApiView):
    serializer_class = SaasServiceSerializer
    lookup_url_kwarg = "service_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[SaasService]:
        return selectors.service_list(organization=organization)

    @extend_schema(summary="One SaaS service")
    def get(self, request: Request, **kwargs: Any) -> Response:
        currency = selectors.spend_currency(organization=self.organization)
        return Response(SaasServiceSerializer(_service_row(self.get_object(), currency)).data)


class _ServiceRowsMixin:
    """Rows of the URL's service: a service outside the organisation is a 404."""

    def service(self, organization: Organization) -> SaasService:
        service = (
            selectors.service_list(organization=organization)
            .filter(pk=self.kwargs["service_id"])
            .first()
        )
        if service is None:
            raise_not_found()
        return service

    def url_objects_exist(self) -> None:
        self.service(self.organization)


class SaasServiceMemberListApi(_ServiceRowsMixin, OrgScopedApiView):
    serializer_class = MemberSerializer
    ordering = ("id",)

    def scoped_queryset(self, organization: Organization) -> QuerySet[RemoteAccount]:
        service = self.service(organization)
        filters = self.validated_query(MemberFilters)
        return selectors.member_list(
            service=service,
            query=filters.get("q", ""),
            status=filters.get("status", ""),
            tier=filters.get("tier", ""),
            on_call=filters.get("on_call", ""),
        )

    @extend_schema(
        parameters=[MemberFilters],
        responses=MemberSerializer(many=True),
        summary="The service's members (the Members tab's rows); empty when not integrated",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(), lambda page: MemberSerializer(_member_rows(page), many=True).data
        )


class SaasServiceUsageApi(_ServiceRowsMixin, OrgScopedApiView):
    serializer_class = UsageMonthSerializer
    ordering = ("month",)  # unique per service (unique_usage_month)

    def scoped_queryset(self, organization: Organization) -> QuerySet[UsageMonth]:
        return UsageMonth.objects.filter(service=self.service(organization))

    @extend_schema(
        responses=UsageMonthSerializer(many=True),
        summary="The service's usage per month, oldest first (as in spend_report --json)",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(),
            lambda page: UsageMonthSerializer([usage_row(m) for m in page], many=True).data,
        )


app_name = "spend"

service = "saas-services/<int:service_id>"

urlpatterns = [
    path("saas-services/", SaasServiceListApi.as_view(), name="saas_service_list"),
    path(f"{service}/", SaasServiceDetailApi.as_view(), name="saas_service_detail"),
    path(f"{service}/members/", SaasServiceMemberListApi.as_view(), name="saas_service_members"),
    path(f"{service}/usage/", SaasServiceUsageApi.as_view(), name="saas_service_usage"),
]
