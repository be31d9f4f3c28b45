"""API: the staff directory (`staff/`): read, create, update, offboard.

Creating and updating go through the page's `StaffMemberForm`, so the API and the page apply
the same rules (unique email in the organisation, dates in order); the services write the
change and its audit event.
"""

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedApiView, refuse
from tenants import selectors, services
from tenants.forms import StaffMemberForm
from tenants.models import Organization, StaffMember, StaffStatus
from tenants.permissions import Action


class StaffMemberSerializer(serializers.ModelSerializer):
    org_role = serializers.CharField(
        source="org_role.name", allow_null=True, default=None, read_only=True
    )

    class Meta:
        model = StaffMember
        fields = [
            "id",
            "name",
            "email",
            "org_role",
            "status",
            "start_date",
            "last_working_day",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StaffMemberInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254)
    org_role = serializers.CharField(
        max_length=100, allow_null=True, required=False, help_text="An org role's name, or null."
    )
    status = serializers.ChoiceField(choices=StaffStatus.choices, required=False)
    start_date = serializers.DateField(allow_null=True, required=False)
    last_working_day = serializers.DateField(allow_null=True, required=False)


class StaffMemberUpdateInput(StaffMemberInput):
    name = serializers.CharField(max_length=200, required=False)
    email = serializers.EmailField(max_length=254, required=False)


class OffboardInput(serializers.Serializer):
    last_working_day = serializers.DateField()


class StaffFilters(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=200, help_text="Name or email contains.")
    status = serializers.ChoiceField(choices=StaffStatus.choices, required=False)
    org_role = serializers.CharField(required=False, max_length=100, help_text="Org role name.")


def _form_values(
    *, organization: Organization, data: dict[str, Any], staff_member: StaffMember | None
) -> dict[str, Any]:
    """The form's POST data: the stored values, overridden by those sent."""
    current = {
        "name": staff_member.name if staff_member else "",
        "email": staff_member.email if staff_member else "",
        "org_role": staff_member.org_role_id if staff_member else None,
        "status": staff_member.status if staff_member else StaffStatus.ACTIVE,
        "start_date": staff_member.start_date if staff_member else None,
        "last_working_day": staff_member.last_working_day if staff_member else None,
    }
    for key, value in data.items():
        current[key] = value
    if "org_role" in data and data["org_role"]:
        org_role = organization.org_roles.filter(name__iexact=data["org_role"]).first()
        if org_role is None:
            refuse("No org role with this name in the organisation.", field="org_role")
        current["org_role"] = org_role.pk
    return {key: "" if value is None else value for key, value in current.items()}


def _save(view: OrgScopedApiView, data: dict, staff_member: StaffMember | None) -> StaffMember:
    form = StaffMemberForm(
        _form_values(organization=view.organization, data=data, staff_member=staff_member),
        instance=staff_member,
        organization=view.organization,
    )
    if not form.is_valid():
        raise serializers.ValidationError(
            {
                ("non_field_errors" if field == "__all__" else field): list(messages)
                for field, messages in form.errors.items()
            }
        )
    return services.staff_member_save(
        staff_member=form.save(commit=False), acting_user=view.acting_user
    )


class StaffListApi(OrgScopedApiView):
    write_action = Action.MANAGE_STAFF
    ordering = ("name", "id")
    serializer_class = StaffMemberSerializer

    def scoped_queryset(self, organization: Organization) -> QuerySet[StaffMember]:
        filters = self.validated_query(StaffFilters)
        queryset = selectors.staff_member_list(
            organization=organization,
            search=filters.get("q", ""),
            status=filters.get("status", ""),
        )
        if filters.get("org_role"):
            queryset = queryset.filter(org_role__name__iexact=filters["org_role"])
        return queryset

    @extend_schema(
        parameters=[StaffFilters],
        responses=StaffMemberSerializer(many=True),
        summary="The staff directory",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(), lambda page: StaffMemberSerializer(page, many=True).data
        )

    @extend_schema(
        request=StaffMemberInput,
        responses={201: StaffMemberSerializer},
        summary="Add a staff member (admin)",
    )
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = self.validated_body(StaffMemberInput)
        staff_member = _save(self, data, None)
        return Response(StaffMemberSerializer(staff_member).data, status=status.HTTP_201_CREATED)


class StaffDetailApi(OrgScopedApiView):
    write_action = Action.MANAGE_STAFF
    serializer_class = StaffMemberSerializer
    lookup_url_kwarg = "staff_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[StaffMember]:
        return StaffMember.objects.filter(organization=organization).select_related("org_role")

    @extend_schema(summary="One staff member")
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(StaffMemberSerializer(self.get_object()).data)

    @extend_schema(request=StaffMemberUpdateInput, summary="Change a staff member (admin)")
    def patch(self, request: Request, **kwargs: Any) -> Response:
        staff_member = self.get_object()
        data = self.validated_body(StaffMemberUpdateInput, partial=True)
        staff_member = _save(self, data, staff_member)
        return Response(StaffMemberSerializer(staff_member).data)


class StaffOffboardApi(OrgScopedApiView):
    write_action = Action.MANAGE_STAFF
    serializer_class = StaffMemberSerializer
    lookup_url_kwarg = "staff_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[StaffMember]:
        return StaffMember.objects.filter(organization=organization).select_related("org_role")

    @extend_schema(
        request=OffboardInput, summary="Offboard a staff member with a last working day (admin)"
    )
    def post(self, request: Request, **kwargs: Any) -> Response:
        staff_member = self.get_object()
        data = self.validated_body(OffboardInput)
        try:
            staff_member = services.staff_member_offboard(
                staff_member=staff_member,
                last_working_day=data["last_working_day"],
                acting_user=self.acting_user,
            )
        except services.TenantError as error:
            refuse(str(error), field="last_working_day")
        return Response(StaffMemberSerializer(staff_member).data)


app_name = "tenants"

urlpatterns = [
    path("staff/", StaffListApi.as_view(), name="staff_list"),
    path("staff/<int:staff_id>/", StaffDetailApi.as_view(), name="staff_detail"),
    path("staff/<int:staff_id>/offboard/", StaffOffboardApi.as_view(), name="staff_offboard"),
]
