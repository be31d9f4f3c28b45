"""API of the check engine: `checks/` (every check with status and counts),
`checks/<code>/entities/` (its entities, with the fields of `evaluate_checks --json`), and
special cases (`special-cases/`: list, create, withdraw)."""

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedApiView, raise_not_found, refuse
from api.errors import Conflict
from checks import selectors, services
from checks.base import Check
from checks.models import CheckResult, CheckStatus, SpecialCase, SpecialCaseState
from checks.registry import check_get, check_list
from checks.report import report_entity
from tenants.models import Organization
from tenants.permissions import Action

ENTITY_STATUS_FILTERS = [
    *CheckStatus.values,
    selectors.SPECIAL_CASE_FILTER,
    selectors.EXPIRED_FILTER,
]


def _check_or_404(check_code: str) -> Check:
    check = check_get(check_code)
    if check is None:
        raise_not_found()
    return check


# --- Serializers: shapes only -----------------------------------------------------------------


class CheckCountsSerializer(serializers.Serializer):
    passing = serializers.IntegerField(help_text="Special cases included.")
    due = serializers.IntegerField()
    failing = serializers.IntegerField()
    special_cases = serializers.IntegerField()


class CheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    system = serializers.CharField()
    category = serializers.CharField()
    status = serializers.ChoiceField(choices=CheckStatus.choices)
    counts = CheckCountsSerializer()
    evaluated_at = serializers.DateTimeField(allow_null=True)


class CheckListSerializer(serializers.Serializer):
    next = serializers.CharField(allow_null=True, help_text="Always null: one page.")
    results = CheckSerializer(many=True)


class CheckEntitySerializer(serializers.Serializer):
    """The entity fields of `manage.py evaluate_checks --json`, plus the status and ids; an
    entity kind may add keys of its own."""

    entity_type = serializers.CharField()
    entity_id = serializers.IntegerField()
    pagerduty_id = serializers.CharField()
    number = serializers.IntegerField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    deadline = serializers.DateTimeField(allow_null=True)
    detail = serializers.CharField()
    status = serializers.ChoiceField(choices=CheckStatus.choices)
    special_case = serializers.IntegerField(allow_null=True, help_text="Special case id.")


class CheckEntityFilters(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ENTITY_STATUS_FILTERS,
        required=False,
        help_text="Blank: every applicable entity. special_case: made passing by one; expired: "
        "whose special case has expired.",
    )


class SpecialCaseSerializer(serializers.ModelSerializer):
    state = serializers.ChoiceField(
        source="current_state", choices=SpecialCaseState.choices, read_only=True
    )
    created_by = serializers.EmailField(
        source="created_by.email", default=None, allow_null=True, read_only=True
    )
    withdrawn_by = serializers.EmailField(
        source="withdrawn_by.email", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = SpecialCase
        fields = [
            "id",
            "check_code",
            "entity_type",
            "entity_id",
            "entity_label",
            "reason",
            "expires_on",
            "state",
            "evidence_name",
            "created_by",
            "created_at",
            "withdrawn_by",
            "withdrawn_at",
        ]
        read_only_fields = fields


class SpecialCaseInput(serializers.Serializer):
    check_code = serializers.CharField(max_length=100)
    entity_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    reason = serializers.CharField(max_length=5000)
    expires_on = serializers.DateField(
        required=False, allow_null=True, help_text="From this day on it no longer counts."
    )


class SpecialCaseFilters(serializers.Serializer):
    check_code = serializers.CharField(required=False, max_length=100)
    state = serializers.ChoiceField(choices=SpecialCaseState.choices, required=False)


# --- Views ------------------------------------------------------------------------------------


class CheckListApi(OrgScopedApiView):
    serializer_class = CheckSerializer
    pagination_class = None

    @extend_schema(
        operation_id="checks_list",
        responses=CheckListSerializer,
        summary="Every check, in Monitoring's order",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        summaries = selectors.check_summary_map(organization=self.organization)
        rows = []
        for check in check_list():
            summary = summaries.get(check.code)
            rows.append(
                {
                    "code": check.code,
                    "title": check.title,
                    "system": check.system,
                    "category": check.category,
                    "status": summary.status if summary else CheckStatus.NOT_APPLICABLE,
                    "counts": {
                        "passing": summary.passing_count if summary else 0,
                        "due": summary.due_count if summary else 0,
                        "failing": summary.failing_count if summary else 0,
                        "special_cases": summary.special_case_count if summary else 0,
                    },
                    "evaluated_at": summary.evaluated_at if summary else None,
                }
            )
        return Response(CheckListSerializer({"next": None, "results": rows}).data)


def entity_row(result: CheckResult) -> dict[str, Any]:
    return {
        **report_entity(result),
        "entity_id": result.entity_id,
        "status": result.status,
        "special_case": result.special_case_id,
    }


class CheckEntityListApi(OrgScopedApiView):
    serializer_class = CheckEntitySerializer
    ordering = ("entity_id",)  # unique within a check (with the organisation and kind)

    def url_objects_exist(self) -> None:
        _check_or_404(self.kwargs["check_code"])

    def scoped_queryset(self, organization: Organization) -> QuerySet[CheckResult]:
        check = _check_or_404(self.kwargs["check_code"])
        filters = self.validated_query(CheckEntityFilters)
        return selectors.check_result_list(
            organization=organization,
            check_code=check.code,
            status=filters.get("status", ""),
            today=timezone.localdate(),
        )

    @extend_schema(
        parameters=[CheckEntityFilters],
        responses=CheckEntitySerializer(many=True),
        summary="A check's entities",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), lambda page: [entity_row(r) for r in page])


class SpecialCaseListApi(OrgScopedApiView):
    write_action = Action.MANAGE_SPECIAL_CASES
    serializer_class = SpecialCaseSerializer

    def scoped_queryset(self, organization: Organization) -> QuerySet[SpecialCase]:
        filters = self.validated_query(SpecialCaseFilters)
        queryset = SpecialCase.objects.filter(organization=organization).select_related(
            "created_by", "withdrawn_by"
        )
        today = timezone.localdate()
        if filters.get("check_code"):
            queryset = queryset.filter(check_code=filters["check_code"])
        state = filters.get("state")
        if state == SpecialCaseState.ACTIVE:
            queryset = queryset.active(on=today)
        elif state == SpecialCaseState.EXPIRED:
            queryset = queryset.filter(expires_on__lte=today)
        elif state == SpecialCaseState.WITHDRAWN:
            queryset = queryset.filter(withdrawn_at__isnull=False).exclude(expires_on__lte=today)
        return queryset

    @extend_schema(
        parameters=[SpecialCaseFilters],
        responses=SpecialCaseSerializer(many=True),
        summary="Special cases, newest first",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(), lambda page: SpecialCaseSerializer(page, many=True).data
        )

    @extend_schema(
        request=SpecialCaseInput,
        responses={201: SpecialCaseSerializer},
        summary="Mark a failing entity a special case (admin)",
    )
    def post(self, request: Request, **kwargs: Any) -> Response:
        data = self.validated_body(SpecialCaseInput)
        check = check_get(data["check_code"])
        if check is None:
            refuse("No check with this code.", field="check_code")
        try:
            special_case = services.special_case_create(
                organization=self.organization,
                check=check,
                entity_id=data["entity_id"],
                reason=data["reason"],
                expires_on=data.get("expires_on"),
                evidence=None,
                acting_user=self.acting_user,
            )
        except services.ChecksError as error:
            refuse(str(error))
        return Response(SpecialCaseSerializer(special_case).data, status=status.HTTP_201_CREATED)


class SpecialCaseDetailApi(OrgScopedApiView):
    serializer_class = SpecialCaseSerializer
    lookup_url_kwarg = "special_case_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[SpecialCase]:
        return SpecialCase.objects.filter(organization=organization).select_related(
            "created_by", "withdrawn_by"
        )

    @extend_schema(summary="One special case")
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(SpecialCaseSerializer(self.get_object()).data)


class SpecialCaseWithdrawApi(OrgScopedApiView):
    write_action = Action.MANAGE_SPECIAL_CASES
    serializer_class = SpecialCaseSerializer
    lookup_url_kwarg = "special_case_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[SpecialCase]:
        return SpecialCase.objects.filter(organization=organization)

    @extend_schema(request=None, summary="Withdraw a special case (admin)")
    def post(self, request: Request, **kwargs: Any) -> Response:
        special_case = self.get_object()
        try:
            special_case = services.special_case_withdraw(
                special_case=special_case, acting_user=self.acting_user
            )
        except services.ChecksError as error:
            raise Conflict(str(error)) from None
        return Response(SpecialCaseSerializer(special_case).data)


app_name = "checks"

urlpatterns = [
    path("checks/", CheckListApi.as_view(), name="check_list"),
    path(
        "checks/<slug:check_code>/entities/",
        CheckEntityListApi.as_view(),
        name="check_entity_list",
    ),
    path("special-cases/", SpecialCaseListApi.as_view(), name="special_case_list"),
    path(
        "special-cases/<int:special_case_id>/",
        SpecialCaseDetailApi.as_view(),
        name="special_case_detail",
    ),
    path(
        "special-cases/<int:special_case_id>/withdraw/",
        SpecialCaseWithdrawApi.as_view(),
        name="special_case_withdraw",
    ),
]
