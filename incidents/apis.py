"""API of incident management: `incidents/` (filters: status, source, created range, check
status, data loss), `incidents/<id>/` (SLA, history, data-loss review) and
`POST incidents/<id>/data-loss/` (record the data-loss review, admin)."""

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedApiView, refuse
from checks.models import CheckStatus
from incidents import selectors, services
from incidents.models import DataKind, DataLossAnswer, DataLossReview, Stakeholder
from incidents.scope import IncidentScope, incident_scope_get
from integrations.models import IncidentStatus, RemoteIncident
from tenants.models import Organization
from tenants.permissions import Action

MAX_ID = 2**63 - 1
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(9998, 12, 31)
DATA_LOSS_FILTERS = [DataLossAnswer.YES, DataLossAnswer.NO, "not_answered", "to_review"]


# --- Serializers: shapes only -----------------------------------------------------------------


class ServiceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class IncidentCheckSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=CheckStatus.choices)
    deadline = serializers.DateTimeField(allow_null=True)
    detail = serializers.CharField()


class DataLossStateSerializer(serializers.Serializer):
    answer = serializers.ChoiceField(choices=DataLossAnswer.choices, help_text="Blank: unanswered.")
    flags = serializers.ListField(child=serializers.CharField(), help_text="Why it was flagged.")


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pagerduty_id = serializers.CharField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    urgency = serializers.CharField()
    priority = serializers.CharField(allow_null=True)
    service = ServiceRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    alert_count = serializers.IntegerField()
    html_url = serializers.CharField()
    data_loss = DataLossStateSerializer()
    checks = IncidentCheckSerializer(many=True)
    check_status = serializers.ChoiceField(
        choices=CheckStatus.choices, help_text="The worst status of its checks."
    )


class SlaSerializer(serializers.Serializer):
    hours = serializers.IntegerField()
    basis = serializers.CharField()
    deadline = serializers.DateTimeField()
    late = serializers.BooleanField()
    overdue_seconds = serializers.IntegerField(allow_null=True)


class StatusChangeSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    status = serializers.CharField()
    actor_name = serializers.CharField()
    summary = serializers.CharField()


class DisclosureSerializer(serializers.Serializer):
    stakeholder = serializers.ChoiceField(choices=Stakeholder.choices)
    done = serializers.BooleanField()
    disclosed_on = serializers.DateField(allow_null=True)
    evidence_name = serializers.CharField()


class DataLossReviewSerializer(serializers.Serializer):
    data_loss = serializers.ChoiceField(choices=DataLossAnswer.choices)
    data_kinds = serializers.ListField(child=serializers.ChoiceField(choices=DataKind.choices))
    other_data_description = serializers.CharField()
    records_affected = serializers.IntegerField(allow_null=True)
    stakeholders = serializers.ListField(child=serializers.ChoiceField(choices=Stakeholder.choices))
    notes = serializers.CharField()
    disclosures = DisclosureSerializer(many=True)
    updated_at = serializers.DateTimeField()


class IncidentDetailSerializer(IncidentSerializer):
    in_scope = serializers.BooleanField(help_text="A source of the incident checks.")
    sla = SlaSerializer()
    status_history = StatusChangeSerializer(many=True)
    data_loss_review = DataLossReviewSerializer(allow_null=True)


class IncidentFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices, required=False)
    source = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Service id."
    )
    created_from = serializers.DateField(required=False, help_text="Reported on or after.")
    created_to = serializers.DateField(required=False, help_text="Reported on or before.")
    check_status = serializers.ChoiceField(
        choices=[CheckStatus.PASSING, CheckStatus.DUE, CheckStatus.FAILING],
        required=False,
        help_text="Incidents with at least one check in this status.",
    )
    data_loss = serializers.ChoiceField(
        choices=DATA_LOSS_FILTERS,
        required=False,
        help_text="to_review: resolved and not answered.",
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        start, end = data.get("created_from"), data.get("created_to")
        for name in ("created_from", "created_to"):
            if data.get(name) and not EARLIEST_DATE <= data[name] <= LATEST_DATE:
                raise serializers.ValidationError({name: ["Out of range."]})
        if start and end and end < start:
            raise serializers.ValidationError({"created_to": ["Before created_from."]})
        return data


class DisclosureInput(serializers.Serializer):
    done = serializers.BooleanField(default=False)
    disclosed_on = serializers.DateField(allow_null=True, required=False)


class DataLossInput(serializers.Serializer):
    data_loss = serializers.ChoiceField(choices=DataLossAnswer.choices, allow_blank=True)
    data_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=DataKind.choices), required=False, default=list
    )
    other_data_description = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    records_affected = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, allow_null=True, default=None
    )
    stakeholders = serializers.ListField(
        child=serializers.ChoiceField(choices=Stakeholder.choices), required=False, default=list
    )
    notes = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    disclosures = serializers.DictField(
        child=DisclosureInput(),
        required=False,
        default=dict,
        help_text="Per stakeholder (customers, business_partner, regulator, "
        "internal_management): done and the date. Stored evidence files are kept.",
    )


# --- Rows -------------------------------------------------------------------------------------


def _incident_rows(
    *, organization: Organization, scope: IncidentScope, incidents: list[RemoteIncident]
) -> list[dict[str, Any]]:
    rows = []
    for row in selectors.incident_list_rows(
        organization=organization, scope=scope, incidents=incidents
    ):
        incident = row["incident"]
        rows.append(
            {
                "id": incident.pk,
                "pagerduty_id": incident.external_id,
                "number": incident.number,
                "title": incident.title,
                "status": incident.status,
                "urgency": incident.urgency,
                "priority": incident.priority.name if incident.priority_id else None,
                "service": (
                    {"id": incident.service_id, "name": incident.service.name}
                    if incident.service_id
                    else None
                ),
                "created_at": incident.created_at_remote,
                "acknowledged_at": incident.acknowledged_at,
                "resolved_at": incident.resolved_at,
                "alert_count": incident.alert_count,
                "html_url": incident.html_url,
                "data_loss": {
                    "answer": row["data_loss"]["answer"],
                    "flags": row["data_loss"]["flags"],
                },
                "checks": [
                    {
                        "code": check.code,
                        "status": result.status,
                        "deadline": result.deadline,
                        "detail": result.detail,
                    }
                    for check, result in row["checks"]
                    if result is not None
                ],
                "check_status": row["worst"],
            }
        )
    return rows


def _review_row(review: DataLossReview | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        "data_loss": review.data_loss,
        "data_kinds": review.data_kinds,
        "other_data_description": review.other_data_description,
        "records_affected": review.records_affected,
        "stakeholders": review.stakeholders,
        "notes": review.notes,
        "disclosures": [
            {
                "stakeholder": disclosure.stakeholder,
                "done": disclosure.done,
                "disclosed_on": disclosure.disclosed_on,
                "evidence_name": disclosure.evidence_name,
            }
            for disclosure in review.disclosures.all()
        ],
        "updated_at": review.updated_at,
    }


def _incident_detail(*, organization: Organization, incident: RemoteIncident) -> dict[str, Any]:
    scope = incident_scope_get(organization=organization)
    [row] = _incident_rows(organization=organization, scope=scope, incidents=[incident])
    sla = selectors.incident_sla_state(incident=incident, scope=scope, now=timezone.now())
    overdue = sla.overdue_by
    return {
        **row,
        "in_scope": scope.includes(incident),
        "sla": {
            "hours": sla.rule.hours,
            "basis": sla.rule.basis,
            "deadline": sla.deadline,
            "late": sla.late,
            "overdue_seconds": int(overdue.total_seconds()) if overdue is not None else None,
        },
        "status_history": [
            {
                "at": change.at,
                "kind": change.kind,
                "status": change.status,
                "actor_name": change.actor_name,
                "summary": change.summary,
            }
            for change in selectors.incident_status_history(
                organization=organization, incident=incident
            )
        ],
        "data_loss_review": _review_row(
            selectors.data_loss_review_get(organization=organization, incident=incident)
        ),
    }


# --- Views ------------------------------------------------------------------------------------


class IncidentListApi(OrgScopedApiView):
    serializer_class = IncidentSerializer
    ordering = ("-created_at_remote", "-id")  # index (organization, -created_at_remote)

    def scoped_queryset(self, organization: Organization) -> QuerySet[RemoteIncident]:
        filters = self.validated_query(IncidentFilters)
        self.scope = incident_scope_get(organization=organization)
        if not self.scope.is_connected:
            return RemoteIncident.objects.none()
        return selectors.incident_list(
            organization=organization,
            scope=self.scope,
            filters=selectors.IncidentFilters(
                status=filters.get("status", ""),
                source_id=filters.get("source"),
                created_from=filters.get("created_from"),
                created_to=filters.get("created_to"),
                check_status=filters.get("check_status", ""),
                data_loss=filters.get("data_loss", ""),
            ),
        )

    @extend_schema(
        parameters=[IncidentFilters],
        responses=IncidentSerializer(many=True),
        summary="Incidents of the incident sources, newest first",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        queryset = self.get_queryset()
        return self.paginated(
            queryset,
            lambda page: (
                IncidentSerializer(
                    _incident_rows(
                        organization=self.organization, scope=self.scope, incidents=page
                    ),
                    many=True,
                ).data
            ),
        )


class IncidentDetailApi(OrgScopedApiView):
    serializer_class = IncidentDetailSerializer
    lookup_url_kwarg = "incident_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[RemoteIncident]:
        return RemoteIncident.objects.filter(organization=organization).select_related(
            "service", "priority", "data_loss_review"
        )

    @extend_schema(summary="One incident: SLA, status history, checks, data-loss review")
    def get(self, request: Request, **kwargs: Any) -> Response:
        incident = self.get_object()
        return Response(
            IncidentDetailSerializer(
                _incident_detail(organization=self.organization, incident=incident)
            ).data
        )


class IncidentDataLossApi(OrgScopedApiView):
    write_action = Action.RECORD_DATA_LOSS
    serializer_class = IncidentDetailSerializer
    lookup_url_kwarg = "incident_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[RemoteIncident]:
        return RemoteIncident.objects.filter(organization=organization).select_related(
            "service", "priority"
        )

    @extend_schema(
        request=DataLossInput,
        responses=IncidentDetailSerializer,
        summary="Record the incident's data-loss review (admin)",
    )
    def post(self, request: Request, **kwargs: Any) -> Response:
        incident = self.get_object()
        data = self.validated_body(DataLossInput)
        disclosures: dict[str, dict[str, Any]] = data["disclosures"]
        unknown = set(disclosures) - set(Stakeholder.values)
        if unknown:
            refuse(f"Unknown stakeholder: {', '.join(sorted(unknown))}.", field="disclosures")
        try:
            services.data_loss_review_save(
                incident=incident,
                acting_user=self.acting_user,
                data_loss=data["data_loss"],
                data_kinds=data["data_kinds"],
                other_data_description=data["other_data_description"],
                records_affected=data["records_affected"],
                stakeholders=data["stakeholders"],
                notes=data["notes"],
                disclosures={
                    stakeholder: services.DisclosureInput(
                        done=wanted.get("done", False),
                        disclosed_on=wanted.get("disclosed_on"),
                    )
                    for stakeholder, wanted in disclosures.items()
                },
            )
        except services.IncidentsError as error:
            refuse(str(error))
        incident.refresh_from_db()
        return Response(
            IncidentDetailSerializer(
                _incident_detail(organization=self.organization, incident=incident)
            ).data
        )


app_name = "incidents"

urlpatterns = [
    path("incidents/", IncidentListApi.as_view(), name="incident_list"),
    path("incidents/<int:incident_id>/", IncidentDetailApi.as_view(), name="incident_detail"),
    path(
        "incidents/<int:incident_id>/data-loss/",
        IncidentDataLossApi.as_view(),
        name="incident_data_loss",
    ),
]
