"""REST endpoints for detection runs: readers list and read them, admins start them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from investigations.models import DetectionRun
from investigations.permissions import IsAdmin, IsReader
from investigations.selectors.detection import detection_runs
from investigations.services.detection import start_detection


class DetectionRunSerializer(serializers.ModelSerializer[DetectionRun]):
    """A run as the UI polls it: status, stage, progress, counts, timings."""

    cluster_count = serializers.IntegerField(read_only=True, default=0)
    flagged_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = DetectionRun
        fields = [
            "id", "status", "stage", "progress", "params", "stats", "timings", "error", "created_by",
            "created_at", "started_at", "finished_at", "cluster_count", "flagged_count",
        ]  # fmt: skip
        read_only_fields = fields


class StartDetectionSerializer(serializers.Serializer[Any]):
    """What an admin may pass when starting a run: optional parameter overrides."""

    params = serializers.DictField(required=False, default=dict)


class DetectionRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[DetectionRun]
):
    """Detection runs; POST starts a new one (admins)."""

    serializer_class = DetectionRunSerializer

    def get_queryset(self) -> QuerySet[DetectionRun]:
        return detection_runs()

    def get_permissions(self) -> list[BasePermission]:
        return [IsAdmin()] if self.action == "create" else [IsReader()]

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return StartDetectionSerializer if self.action == "create" else DetectionRunSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = StartDetectionSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            run = start_detection(by=request.user, params=incoming.validated_data.get("params") or None)  # type: ignore[arg-type]
        except ValueError as exc:
            raise serializers.ValidationError({"params": str(exc)}) from exc
        return Response(DetectionRunSerializer(run).data, status=201)
