"""REST endpoints for ingest (admins only): jobs with their reports and quarantined rows, and schedules."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from investigations.models import IngestJob, IngestSchedule
from investigations.permissions import IsAdmin
from investigations.selectors import ingest as selectors
from investigations.services import ingest as services
from investigations.services import ingest_paths as paths
from investigations.services import ingest_schedules as schedules


class IngestJobSerializer(serializers.ModelSerializer[IngestJob]):
    """A job as the UI polls it: status, progress, counts, warnings, timings, errors and the full report."""

    duration_seconds = serializers.FloatField(read_only=True)

    class Meta:
        model = IngestJob
        fields = [
            "id", "drop_path", "drop_fingerprint", "source", "schedule", "run_detection", "status", "stage",
            "progress", "counts", "warnings", "timings", "quarantined_total", "error", "report", "attempts",
            "detection_run", "created_by", "created_at", "started_at", "finished_at", "duration_seconds",
        ]  # fmt: skip
        read_only_fields = fields


class StartIngestSerializer(serializers.Serializer[Any]):
    """Start a job by hand: a drop folder under INGEST_ROOT."""

    drop_path = serializers.CharField(max_length=1000)
    run_detection = serializers.BooleanField(default=False)


class IngestJobViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[IngestJob],
):
    """Ingest jobs; POST starts one; `quarantine/` downloads its quarantined rows as CSV."""

    permission_classes = [IsAdmin]
    serializer_class = IngestJobSerializer

    def get_queryset(self) -> QuerySet[IngestJob]:
        return selectors.ingest_jobs()

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return StartIngestSerializer if self.action == "create" else IngestJobSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = StartIngestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            job = services.start_ingest_by_hand(
                incoming.validated_data["drop_path"],
                by=request.user,  # type: ignore[arg-type]
                run_detection=incoming.validated_data["run_detection"],
            )
        except paths.PathRefused as exc:
            raise ValidationError({"drop_path": [str(exc)]}) from exc
        return Response(IngestJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def quarantine(self, request: Request, pk: str | None = None) -> StreamingHttpResponse:
        """Every quarantined row of the job as CSV: file, row, column, reason, value."""
        job = self.get_object()
        response = StreamingHttpResponse(
            selectors.quarantine_chunks(job), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="ingest-{job.pk}-quarantine.csv"'
        return response


class IngestScheduleSerializer(serializers.ModelSerializer[IngestSchedule]):
    """A schedule: a folder under INGEST_ROOT watched every `interval_minutes`."""

    class Meta:
        model = IngestSchedule
        fields = [
            "id", "name", "folder", "interval_minutes", "enabled", "run_detection", "created_by", "created_at",
            "last_checked_at", "last_error",
        ]  # fmt: skip
        read_only_fields = ["id", "created_by", "created_at", "last_checked_at", "last_error"]


class IngestScheduleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[IngestSchedule],
):
    """Schedules: create, pause or resume (PATCH `enabled`), delete."""

    permission_classes = [IsAdmin]
    serializer_class = IngestScheduleSerializer

    def get_queryset(self) -> QuerySet[IngestSchedule]:
        return selectors.ingest_schedules()

    def perform_create(self, serializer: serializers.BaseSerializer[IngestSchedule]) -> None:
        data = serializer.validated_data  # type: ignore[attr-defined]
        try:
            serializer.instance = schedules.create_schedule(
                name=data["name"],
                folder=data["folder"],
                interval_minutes=data.get("interval_minutes", 15),
                run_detection=data.get("run_detection", False),
                by=self.request.user,  # type: ignore[arg-type]
            )
        except schedules.ScheduleInvalid as exc:
            raise ValidationError({exc.field: [str(exc)]}) from exc
        except paths.PathRefused as exc:
            raise ValidationError({"folder": [str(exc)]}) from exc

    def perform_update(self, serializer: serializers.BaseSerializer[IngestSchedule]) -> None:
        data = serializer.validated_data  # type: ignore[attr-defined]
        if set(data) - {"enabled"}:
            raise ValidationError(
                {"detail": ["only `enabled` can be changed; delete and recreate a schedule"]}
            )
        if "enabled" in data:
            schedules.set_schedule_enabled(serializer.instance, data["enabled"], by=self.request.user)  # type: ignore[arg-type]

    def perform_destroy(self, instance: IngestSchedule) -> None:
        schedules.delete_schedule(instance, by=self.request.user)  # type: ignore[arg-type]
