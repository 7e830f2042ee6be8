"""REST API of the cluster queue and cluster pages: list with filters, detail, members, network, timelines."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from investigations.ids import MAX_ID
from investigations.models import Cluster, DetectionRun, RegrowthAlert
from investigations.permissions import IsReader
from investigations.selectors.cluster_timelines import cluster_timelines
from investigations.selectors.clusters import cluster_alerts, cluster_history, cluster_network
from investigations.selectors.members import MEMBER_SORTS, cluster_members, sorted_members
from investigations.selectors.queue import (
    ClusterStatus,
    QueueFilters,
    QueueSort,
    StatusPerPage,
    clusters_for_queue,
    queue_capabilities,
    with_status,
)
from investigations.selectors.runs import run_from_param


class WorkspacePagination(PageNumberPagination):
    """Page-number pagination with a client-chosen page size (at most 500)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ClusterQuerySerializer(serializers.Serializer[Any]):
    """Query parameters of the cluster list (validated once, here)."""

    run = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Detection run id; the latest by default."
    )
    min_score = serializers.FloatField(required=False, min_value=0, max_value=1)
    max_score = serializers.FloatField(required=False, min_value=0, max_value=1)
    min_size = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID)
    max_size = serializers.IntegerField(required=False, min_value=0, max_value=MAX_ID)
    signal = serializers.CharField(required=False, help_text="Clusters with this among their top signals.")
    status = serializers.ChoiceField(required=False, choices=ClusterStatus.choices)
    capability = serializers.ChoiceField(
        required=False,
        choices=queue_capabilities(),
        help_text="`campaign`: reasoning, coding, agentic or tool use.",
    )
    include_unflagged = serializers.BooleanField(required=False, default=False)
    ordering = serializers.ChoiceField(required=False, choices=QueueSort.choices, default=QueueSort.SCORE)

    def to_filters(self) -> QueueFilters:
        """The validated parameters as queue filters."""
        d = self.validated_data
        return QueueFilters(
            min_score=d.get("min_score"),
            max_score=d.get("max_score"),
            min_size=d.get("min_size"),
            max_size=d.get("max_size"),
            signal=d.get("signal", ""),
            status=d.get("status", ""),
            capability=d.get("capability", ""),
            include_unflagged=d.get("include_unflagged", False),
            sort=d.get("ordering", QueueSort.SCORE),
        )


class ClusterSerializer(serializers.ModelSerializer[Cluster]):
    """A cluster in the queue."""

    status = serializers.ChoiceField(choices=ClusterStatus.choices, read_only=True)  # ClusterStatusEnum
    open_alerts = serializers.IntegerField(read_only=True)

    class Meta:
        model = Cluster
        fields = [
            "key", "run", "score", "flagged", "size", "exchanges", "top_signals", "dominant_capability",
            "new_members", "status", "open_alerts",
        ]  # fmt: skip
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer[RegrowthAlert]):
    """A regrowth alert on a cluster."""

    class Meta:
        model = RegrowthAlert
        fields = ["id", "cluster_key", "account_ids", "reason", "created_at", "acknowledged_at"]
        read_only_fields = fields


class EvidenceSerializer(serializers.Serializer[Any]):
    """One piece of evidence behind a signal."""

    kind = serializers.CharField()
    id = serializers.CharField()
    accounts = serializers.JSONField(help_text="How many members share it, or their ids.")
    detail = serializers.CharField(required=False)
    label = serializers.CharField(
        required=False, help_text="A human name for an opaque key (e.g. a card's BIN)."
    )  # type: ignore[assignment]  # a declared field, popped by the metaclass


class SignalSerializer(serializers.Serializer[Any]):
    """One signal of the score: value, contribution (>= 0 raises, < 0 mitigates) and evidence."""

    signal = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a Field attribute
    value = serializers.JSONField()
    contribution = serializers.FloatField()
    evidence = EvidenceSerializer(many=True)


class ClusterDetailSerializer(ClusterSerializer):
    """A cluster with its features, explained score, lineage and alerts."""

    explanation = SignalSerializer(many=True, read_only=True)
    alerts = serializers.SerializerMethodField()

    class Meta(ClusterSerializer.Meta):
        fields = [*ClusterSerializer.Meta.fields, "features", "explanation", "lineage", "alerts"]
        read_only_fields = fields

    @extend_schema_field(AlertSerializer(many=True))
    def get_alerts(self, cluster: Cluster) -> list[dict[str, Any]]:
        """Regrowth alerts raised on the cluster in its run."""
        return list(AlertSerializer(cluster_alerts(cluster), many=True).data)


class MemberSerializer(serializers.Serializer[Any]):
    """A member of a cluster, with profile and totals."""

    account_id = serializers.CharField()
    email = serializers.CharField(allow_null=True, required=False)
    status = serializers.CharField(allow_null=True, required=False)
    created_at = serializers.DateTimeField(allow_null=True, required=False)
    status_changed_at = serializers.DateTimeField(allow_null=True, required=False)
    plan = serializers.CharField(allow_null=True, required=False)
    country = serializers.CharField(allow_null=True, required=False)
    org_id = serializers.CharField(allow_null=True, required=False)
    exchanges = serializers.IntegerField()
    reasoning_exchanges = serializers.IntegerField(required=False)
    is_new = serializers.BooleanField()


class NodeSerializer(serializers.Serializer[Any]):
    """A node of the network picture: an account or a shared entity (a group of accounts)."""

    id = serializers.CharField(help_text='"account|<id>" or "<kind>|<id>"')
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field named like a Field attribute
    members = serializers.IntegerField()
    exchanges = serializers.IntegerField()
    status = serializers.CharField()


class EdgeSerializer(serializers.Serializer[Any]):
    """A tie: an account holds an entity, or two entity groups share `weight` accounts."""

    source = serializers.CharField()  # type: ignore[assignment]  # a field named like a Field attribute
    target = serializers.CharField()
    weight = serializers.IntegerField()


class NetworkSerializer(serializers.Serializer[Any]):
    """The network picture: accounts and shared entities, or (large clusters) entity groups with one open."""

    mode = serializers.ChoiceField(choices=["accounts", "groups"])
    nodes = NodeSerializer(many=True)
    edges = EdgeSerializer(many=True)
    expanded = serializers.CharField(allow_null=True)
    expanded_total = serializers.IntegerField()


class SeriesPointSerializer(serializers.Serializer[Any]):
    """One point of a time series."""

    t = serializers.CharField()
    n = serializers.FloatField()


class ReleaseSerializer(serializers.Serializer[Any]):
    """A model release."""

    model = serializers.CharField()
    released_at = serializers.DateTimeField()


class TimelinesSerializer(serializers.Serializer[Any]):
    """Daily sign-ups, replacements and bans, hourly activity, model share per day, capability mix."""

    signups = SeriesPointSerializer(many=True)
    replacements = SeriesPointSerializer(many=True)
    bans = SeriesPointSerializer(many=True)
    hourly = SeriesPointSerializer(many=True)
    model_days = serializers.DictField(child=SeriesPointSerializer(many=True))
    releases = ReleaseSerializer(many=True)
    capabilities = serializers.DictField(child=serializers.IntegerField())
    exchanges = serializers.IntegerField()
    reasoning_share = serializers.FloatField(allow_null=True)


def _points(series: Any) -> list[dict[str, Any]]:
    return [{"t": t.isoformat(), "n": n} for t, n in series]


@extend_schema(
    parameters=[OpenApiParameter("run", int, description="Detection run id; the latest by default.")]
)
class ClusterViewSet(viewsets.ReadOnlyModelViewSet[Cluster]):
    """Clusters of a detection run (the latest by default): the analyst queue and each cluster's page data."""

    permission_classes = [IsReader]
    pagination_class = WorkspacePagination
    lookup_field = "key"
    lookup_value_regex = "[^/]+"

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return ClusterDetailSerializer if self.action == "retrieve" else ClusterSerializer

    def _query(self) -> ClusterQuerySerializer:
        query = ClusterQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query

    def _run(self) -> DetectionRun:
        try:
            run = run_from_param(self.request.query_params.get("run"))
        except ValueError as exc:
            raise ValidationError({"run": [str(exc)]}) from exc
        if run is None:
            raise NotFound("No finished detection run.")
        return run

    def get_queryset(self) -> QuerySet[Cluster]:
        run = self._run()
        if self.action == "list":
            return clusters_for_queue(run, self._query().to_filters(), statuses=False)
        clusters = Cluster.objects.filter(run=run).select_related("run")
        # only the cluster's own answer shows its case status; its members, network, timelines and history do not
        return with_status(clusters) if self.action == "retrieve" else clusters

    @extend_schema(parameters=[ClusterQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The run's flagged clusters (all with `include_unflagged`), filtered, ordered and paginated."""
        page = self.paginate_queryset(StatusPerPage(self.get_queryset()))  # type: ignore[arg-type]  # sliceable
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("ordering", str, enum=[*MEMBER_SORTS, *(f"-{s}" for s in MEMBER_SORTS)])
        ],
        responses=MemberSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def members(self, request: Request, key: str, **kwargs: Any) -> Response:
        """The cluster's members with profile and totals, ordered and paginated."""
        cluster = self.get_object()
        members = sorted_members(cluster_members(cluster), request.query_params.get("ordering", "-exchanges"))
        paginator = WorkspacePagination()
        page: list[Any] | None = paginator.paginate_queryset(members, request, view=self)  # type: ignore[arg-type]
        return paginator.get_paginated_response(MemberSerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("expand", str, description='An entity group to open: "<kind>|<id>".')],
        responses=NetworkSerializer,
    )
    @action(detail=True, methods=["get"])
    def network(self, request: Request, key: str, **kwargs: Any) -> Response:
        """The network picture's nodes and edges (aggregated by shared entity above 60 accounts)."""
        net = cluster_network(self.get_object(), expand=request.query_params.get("expand") or None)
        data = {
            "mode": net.mode,
            "nodes": [vars(n) for n in net.nodes],
            "edges": [vars(e) for e in net.edges],
            "expanded": net.expanded,
            "expanded_total": net.expanded_total,
        }
        return Response(NetworkSerializer(data).data)

    @extend_schema(responses=TimelinesSerializer)
    @action(detail=True, methods=["get"])
    def timelines(self, request: Request, key: str, **kwargs: Any) -> Response:
        """Sign-ups, bans and replacements per day, hourly activity, model share per day, capability mix."""
        t = cluster_timelines(self.get_object())
        data = {
            "signups": _points(t.signups),
            "replacements": _points(t.replacements),
            "bans": _points(t.bans),
            "hourly": _points(t.hourly),
            "model_days": {m: _points(days) for m, days in t.model_days.items()},
            "releases": [{"model": m, "released_at": released.isoformat()} for m, released in t.releases],
            "capabilities": dict(t.capabilities),
            "exchanges": t.exchanges,
            "reasoning_share": t.reasoning_share,
        }
        return Response(data)

    @extend_schema(responses=ClusterSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, key: str, **kwargs: Any) -> Response:
        """The cluster with this key in every successful run, oldest first (lineage)."""
        self.get_object()
        clusters = with_status(Cluster.objects.filter(pk__in=[c.pk for c in cluster_history(key)]))
        return Response(ClusterSerializer(clusters.order_by("run__created_at", "run_id"), many=True).data)
