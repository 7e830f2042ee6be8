"""The graph explorer's API: a cluster opened aggregated, one node expanded (a big entity paged), the paths that link
two accounts, and views saved into cases. Readers explore; case managers save. Shapes: `selectors/explorer.py`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from investigations.api.cases import CaseRefused
from investigations.models import Case, DetectionRun, ExplorerView
from investigations.permissions import IsCaseManager, IsReader
from investigations.selectors.accounts import accounts_brief, known_kind_and_id
from investigations.selectors.cases import get_case
from investigations.selectors.clusters import cluster_in_run
from investigations.selectors.explorer import (
    EXPAND_MAX,
    EXPAND_PAGE,
    KIND_FAMILY,
    PATH_DEFAULT_HOPS,
    PATH_MAX_HOPS,
    cluster_view,
    expand_account,
    expand_entity,
    trace_paths,
)
from investigations.selectors.runs import run_from_param
from investigations.services.cases import CaseError, CasePermissionError
from investigations.services.explorer_views import save_explorer_view

MAX_OFFSET = 100_000  # how far one can page through one entity's accounts


def _run(request: Request) -> DetectionRun | None:
    try:
        return run_from_param(request.query_params.get("run"))
    except ValueError as exc:
        raise ValidationError({"run": [str(exc)]}) from exc


RUN = OpenApiParameter("run", int, description="A detection run id (default: the latest).")


class ExpandQuery(serializers.Serializer[Any]):
    """Which page of an entity's accounts."""

    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=EXPAND_MAX, default=EXPAND_PAGE)


class PathQuery(serializers.Serializer[Any]):
    """The two accounts to link and how far to search."""

    a = serializers.CharField(max_length=200)
    b = serializers.CharField(max_length=200)
    max_hops = serializers.IntegerField(min_value=1, max_value=PATH_MAX_HOPS, default=PATH_DEFAULT_HOPS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["a"] == attrs["b"]:
            raise serializers.ValidationError("Choose two different accounts.")
        return attrs


class ExplorerClusterView(APIView):
    """A cluster opened in the explorer: its accounts, the entities they share (aggregated by rarity), the ties."""

    permission_classes = [IsReader]

    @extend_schema(parameters=[RUN], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, key: str) -> Response:
        run = _run(request)
        cluster = cluster_in_run(run, key) if run is not None else None
        if cluster is None:
            raise NotFound("No such cluster in this run.")
        return Response(cluster_view(cluster))


class ExplorerAccountView(APIView):
    """An account expanded: the entities it holds, each with how many accounts hold it."""

    permission_classes = [IsReader]

    @extend_schema(parameters=[RUN], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, account_id: str) -> Response:
        data = expand_account(_run(request), account_id)
        if not data:
            raise NotFound("No such account.")
        return Response(data)


class ExplorerEntityView(APIView):
    """An entity expanded: a page of the accounts holding it (`offset`, `limit` up to 500; `next_offset` pages on)."""

    permission_classes = [IsReader]

    @extend_schema(parameters=[RUN, ExpandQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, kind: str, entity_id: str) -> Response:
        query = ExpandQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if kind not in KIND_FAMILY or not known_kind_and_id(kind, entity_id):
            raise NotFound("No such entity.")
        data = expand_entity(_run(request), kind, entity_id, **query.validated_data)
        if not data:
            raise NotFound("No such entity.")
        return Response(data)


class ExplorerPathView(APIView):
    """Why are two accounts linked: the cheapest paths through shared entities (rarer ties cost less), bounded."""

    permission_classes = [IsReader]

    @extend_schema(parameters=[RUN, PathQuery], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        query = PathQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        known = accounts_brief([q["a"], q["b"]])
        for name in ("a", "b"):
            if q[name] not in known:
                raise NotFound(f"No such account: {q[name]}.")
        return Response(trace_paths(_run(request), q["a"], q["b"], max_hops=q["max_hops"]))


class ExplorerViewSerializer(serializers.ModelSerializer[ExplorerView]):
    """A saved explorer view."""

    saved_by = serializers.CharField(source="saved_by.username", read_only=True)
    image = serializers.IntegerField(source="image_id", read_only=True)

    class Meta:
        model = ExplorerView
        fields = ["id", "case", "title", "nodes", "saved_by", "created_at", "image", "state"]
        read_only_fields = fields


class SaveViewForm(serializers.Serializer[Any]):
    """What the explorer sends to save a view."""

    case = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=200)
    state = serializers.CharField()
    image = serializers.FileField()


class ExplorerViewSave(APIView):
    """Save the explorer's view into a case (case managers): multipart `case`, `title`, `state` (JSON), `image`
    (PNG). The picture becomes an attachment of the case; the save is in the case's audit log."""

    permission_classes = [IsCaseManager]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": SaveViewForm}, responses={201: ExplorerViewSerializer})
    def post(self, request: Request) -> Response:
        form = SaveViewForm(data=request.data)
        form.is_valid(raise_exception=True)
        f = form.validated_data
        try:
            case = get_case(f["case"])
        except Case.DoesNotExist as exc:
            raise NotFound("No such case.") from exc
        try:
            user = request.user  # signed in: IsCaseManager
            view = save_explorer_view(case, by=user, title=f["title"], state=f["state"], image=f["image"])  # type: ignore[arg-type]
        except CasePermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except CaseError as exc:
            raise CaseRefused(str(exc)) from exc
        return Response(ExplorerViewSerializer(view).data, status=201)


class ExplorerViewDetail(APIView):
    """A saved explorer view, to reopen as saved."""

    permission_classes = [IsReader]

    @extend_schema(responses=ExplorerViewSerializer)
    def get(self, request: Request, pk: int) -> Response:
        view = ExplorerView.objects.select_related("saved_by").filter(pk=pk).first()
        if view is None:
            raise NotFound("No such saved view.")
        return Response(ExplorerViewSerializer(view).data)
