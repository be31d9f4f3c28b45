"""API: connections (`connections/`), sync runs (`sync-runs/`) and "Sync now"
(`POST connections/<id>/sync/`: 202 queued, 409 while one runs or when the connection cannot
sync)."""

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import OrgScopedApiView
from api.errors import Conflict
from integrations import selectors, services
from integrations.models import Connection, ConnectionStatus, SyncRun, SyncRunStatus
from tenants.models import Organization
from tenants.permissions import Action

CONNECTION_STATES = [*ConnectionStatus.choices, ("syncing", "Syncing")]


class ConnectionSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        source="display_status", choices=CONNECTION_STATES, read_only=True
    )
    missing_scopes = serializers.SerializerMethodField()
    next_step = serializers.CharField(read_only=True)

    class Meta:
        model = Connection
        fields = [
            "id",
            "provider",
            "subdomain",
            "region",
            "auth_type",
            "purposes",
            "status",
            "last_error",
            "last_error_at",
            "next_step",
            "missing_scopes",
            "connected_at",
            "last_synced_at",
            "revoked_at",
        ]
        read_only_fields = fields

    def get_missing_scopes(self, connection: Connection) -> list[str]:
        return list(selectors.connection_missing_scopes(connection=connection))


class SyncRunSerializer(serializers.ModelSerializer):
    connection = serializers.IntegerField(source="connection_id", read_only=True)
    counts = serializers.DictField(read_only=True)
    notes = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "connection",
            "trigger",
            "full",
            "status",
            "started_at",
            "finished_at",
            "counts",
            "request_count",
            "notes",
            "error_message",
        ]
        read_only_fields = fields


class SyncRunFilters(serializers.Serializer):
    connection = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    status = serializers.ChoiceField(choices=SyncRunStatus.choices, required=False)


class SyncQueuedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["queued"])
    message = serializers.CharField()


class ConnectionListApi(OrgScopedApiView):
    serializer_class = ConnectionSerializer
    ordering = ("id",)

    def scoped_queryset(self, organization: Organization) -> QuerySet[Connection]:
        return selectors.connection_list(organization=organization, include_revoked=True)

    @extend_schema(
        responses=ConnectionSerializer(many=True),
        summary="PagerDuty connections, revoked ones included",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(), lambda page: ConnectionSerializer(page, many=True).data
        )


class ConnectionDetailApi(OrgScopedApiView):
    serializer_class = ConnectionSerializer
    lookup_url_kwarg = "connection_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[Connection]:
        return Connection.objects.filter(organization=organization)

    @extend_schema(summary="One connection")
    def get(self, request: Request, **kwargs: Any) -> Response:
        return Response(ConnectionSerializer(self.get_object()).data)


class ConnectionSyncApi(OrgScopedApiView):
    write_action = Action.SYNC_INTEGRATIONS
    serializer_class = SyncQueuedSerializer
    lookup_url_kwarg = "connection_id"
    lookup_field = "pk"

    def scoped_queryset(self, organization: Organization) -> QuerySet[Connection]:
        return Connection.objects.filter(organization=organization)

    @extend_schema(
        request=None,
        responses={
            202: SyncQueuedSerializer,
            409: OpenApiResponse(description="A sync is running, or the connection cannot sync."),
        },
        summary="Start a sync now (admin)",
    )
    def post(self, request: Request, **kwargs: Any) -> Response:
        connection = self.get_object()
        try:
            services.connection_sync_request(connection=connection)
        except services.SyncNotAllowed as refusal:
            raise Conflict(refusal.message) from None
        return Response(
            {"status": "queued", "message": "Sync queued; follow it in sync-runs/."},
            status=status.HTTP_202_ACCEPTED,
        )


class SyncRunListApi(OrgScopedApiView):
    serializer_class = SyncRunSerializer
    ordering = ("-id",)  # newest first; the primary key follows start order

    def scoped_queryset(self, organization: Organization) -> QuerySet[SyncRun]:
        filters = self.validated_query(SyncRunFilters)
        queryset = SyncRun.objects.filter(organization=organization)
        if filters.get("connection"):
            queryset = queryset.filter(connection_id=filters["connection"])
        if filters.get("status"):
            queryset = queryset.filter(status=filters["status"])
        return queryset

    @extend_schema(
        parameters=[SyncRunFilters],
        responses=SyncRunSerializer(many=True),
        summary="Sync runs, newest first",
    )
    def get(self, request: Request, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(), lambda page: SyncRunSerializer(page, many=True).data
        )


app_name = "integrations"

urlpatterns = [
    path("connections/", ConnectionListApi.as_view(), name="connection_list"),
    path(
        "connections/<int:connection_id>/", ConnectionDetailApi.as_view(), name="connection_detail"
    ),
    path(
        "connections/<int:connection_id>/sync/", ConnectionSyncApi.as_view(), name="connection_sync"
    ),
    path("sync-runs/", SyncRunListApi.as_view(), name="sync_run_list"),
]
