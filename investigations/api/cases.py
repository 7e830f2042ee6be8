"""REST API for cases: list and open, workflow, evidence, work items, exports, alerts, proposals and the audit log.

Each endpoint parses its input with a serializer, calls one selector or service and returns the answer. A refusal
by the workflow comes back as 400 with the reason in `detail`; a refusal by role as 403.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from investigations.api import case_serializers as s
from investigations.exports import ExportFormat
from investigations.models import AuditEvent, Case, Cluster, ClusterProposal
from investigations.permissions import IsAdmin, IsCaseManager, IsReader
from investigations.selectors import case_evidence
from investigations.selectors import cases as selectors
from investigations.services import case_work, case_workflow
from investigations.services import cases as services
from investigations.services.cases import CaseError, CasePermissionError


class CaseRefused(APIException):
    """The case workflow refused the request; `detail` says why."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request was refused."
    default_code = "refused"


class PassthroughRenderer(BaseRenderer):
    """Lets export endpoints answer any Accept header with the file they build (errors still render as JSON)."""

    media_type = "*/*"
    format = "file"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class _CaseErrors:
    """Maps service refusals to API errors: CaseError -> 400, CasePermissionError -> 403."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, CasePermissionError):
            exc = PermissionDenied(str(exc))
        elif isinstance(exc, CaseError):
            exc = CaseRefused(str(exc))
        return super().handle_exception(exc)  # type: ignore[misc]


def _valid(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# Who may call what: readers look and comment; case managers change; services check finer rules (a task's
# assignee may mark it done).
_READER_ACTIONS = {"list", "retrieve", "comments", "task_update", "attachment_download", "alerts", "audit", "indicators"}
_READER_GET_ACTIONS = {"tasks", "attachments", "accounts"}


@extend_schema_view(
    list=extend_schema(summary="List cases", parameters=[s.CaseFilterSerializer], responses=s.CaseSerializer(many=True)),
    retrieve=extend_schema(summary="A case: frozen evidence, changes since, alerts", responses=s.CaseDetailSerializer),
    create=extend_schema(summary="Open a case from clusters and/or accounts", request=s.CaseOpenSerializer,
                         responses={201: s.CaseSerializer}),
    partial_update=extend_schema(summary="Change a case's details", request=s.CaseUpdateSerializer,
                                 responses=s.CaseSerializer),
)  # fmt: skip
class CaseViewSet(
    _CaseErrors,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Case],
):
    """Cases (readers see them; case managers and admins open and change them)."""

    serializer_class = s.CaseSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self) -> list[BasePermission]:
        name = self.action or ""
        if name in _READER_ACTIONS or (name in _READER_GET_ACTIONS and self._is_read()):
            return [IsReader()]
        return [IsCaseManager()]

    def _is_read(self) -> bool:
        return self.request.method in ("GET", "HEAD", "OPTIONS")

    def get_queryset(self) -> Any:
        if self.action == "list":
            filters = _valid(s.CaseFilterSerializer, self.request.query_params)
            return selectors.cases_for_list(
                self.request.user,
                selectors.CaseFilters(**{**filters, "status": tuple(filters["status"]),
                                         "priority": tuple(filters["priority"])}),
            )  # fmt: skip
        return selectors.cases_for_list(self.request.user, selectors.CaseFilters())

    def _case(self) -> Case:
        try:
            return selectors.get_case(int(self.kwargs["pk"]))
        except (Case.DoesNotExist, ValueError) as exc:
            raise Http404("No such case.") from exc

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(s.CaseDetailSerializer(selectors.case_view(self._case())).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _valid(s.CaseOpenSerializer, request.data)
        clusters = [self._cluster(pk) for pk in data.pop("cluster_ids")]
        case = services.open_case(by=request.user, clusters=clusters, **data)
        return Response(s.CaseSerializer(selectors.get_case(case.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _valid(s.CaseUpdateSerializer, request.data)
        case = case_workflow.update_case(self._case(), by=request.user, **data)
        return Response(s.CaseSerializer(selectors.get_case(case.pk)).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @staticmethod
    def _cluster(pk: int) -> Cluster:
        try:
            return selectors.cluster_by_id(pk)
        except Cluster.DoesNotExist as exc:
            raise CaseRefused(f"No cluster with id {pk}.") from exc

    # ------------------------------------------------------------ workflow

    @extend_schema(summary="Move a case along its workflow", request=s.TransitionSerializer,
                   responses={200: s.CaseSerializer, 400: OpenApiResponse(description="Transition refused, with the reason.")})  # fmt: skip
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str) -> Response:
        data = _valid(s.TransitionSerializer, request.data)
        case = case_workflow.transition_case(
            self._case(), data["status"], by=request.user, reason=data["reason"],
            actioned_accounts=data["actioned_accounts"],
        )  # fmt: skip
        return Response(s.CaseSerializer(selectors.get_case(case.pk)).data)

    @extend_schema(summary="Assign a case", request=s.AssignSerializer, responses=s.CaseSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str) -> Response:
        data = _valid(s.AssignSerializer, request.data)
        case = case_workflow.assign_case(self._case(), data["assignee"], by=request.user)
        return Response(s.CaseSerializer(selectors.get_case(case.pk)).data)

    @extend_schema(summary="Assign several cases at once", request=s.BulkAssignSerializer, responses=s.CountSerializer)
    @action(detail=False, methods=["post"], url_path="bulk-assign")
    def bulk_assign(self, request: Request) -> Response:
        data = _valid(s.BulkAssignSerializer, request.data)
        return Response({"changed": case_workflow.bulk_assign(data["cases"], data["assignee"], by=request.user)})

    @extend_schema(summary="Record enforcement on more accounts of an actioned case", request=s.AccountIdsSerializer,
                   responses=s.AccountListSerializer)  # fmt: skip
    @action(detail=True, methods=["post"], url_path="action-accounts")
    def action_accounts(self, request: Request, pk: str) -> Response:
        data = _valid(s.AccountIdsSerializer, request.data)
        return Response({"accounts": case_workflow.action_accounts(self._case(), data["account_ids"], by=request.user)})

    # ------------------------------------------------------------ evidence

    @extend_schema(summary="Add a cluster to a case (freezes its evidence)", request=s.AddClusterSerializer,
                   responses={201: s.CaseClusterSerializer})  # fmt: skip
    @action(detail=True, methods=["post"])
    def clusters(self, request: Request, pk: str) -> Response:
        data = _valid(s.AddClusterSerializer, request.data)
        cc = services.add_cluster(self._case(), self._cluster(data["cluster_id"]), by=request.user)
        return Response(s.CaseClusterSerializer(cc).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary="Accounts of a case, as frozen", responses=s.CaseAccountSerializer(many=True))
    @extend_schema(methods=["POST"], summary="Add accounts to a case (freezes their evidence)",
                   request=s.AccountIdsSerializer, responses={201: s.CaseAccountSerializer(many=True)})  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def accounts(self, request: Request, pk: str) -> Response:
        if self._is_read():
            return Response(s.CaseAccountSerializer(self._case().case_accounts.all(), many=True).data)
        data = _valid(s.AccountIdsSerializer, request.data)
        rows = services.add_accounts(self._case(), data["account_ids"], by=request.user)
        return Response(s.CaseAccountSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Indicators the case holds (from its frozen evidence)", responses=s.IndicatorSerializer(many=True))
    @action(detail=True, methods=["get"])
    def indicators(self, request: Request, pk: str) -> Response:
        items = case_evidence.case_indicators(self._case())
        return Response(s.IndicatorSerializer([{**i.__dict__, "specificity": i.specificity} for i in items], many=True).data)

    # ------------------------------------------------------------ work items

    @extend_schema(methods=["GET"], summary="Comments on a case", responses=s.CommentSerializer(many=True))
    @extend_schema(methods=["POST"], summary="Comment on a case (@username mentions)", request=s.CommentInSerializer,
                   responses={201: s.CommentSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def comments(self, request: Request, pk: str) -> Response:
        case = self._case()
        if self._is_read():
            return Response(s.CommentSerializer(case.comments.prefetch_related("mentions"), many=True).data)
        data = _valid(s.CommentInSerializer, request.data)
        comment = case_work.add_comment(case, data["body"], by=request.user)
        return Response(s.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary="Tasks of a case", responses=s.TaskSerializer(many=True))
    @extend_schema(methods=["POST"], summary="Add a task", request=s.TaskInSerializer, responses={201: s.TaskSerializer})
    @action(detail=True, methods=["get", "post"])
    def tasks(self, request: Request, pk: str) -> Response:
        case = self._case()
        if self._is_read():
            return Response(s.TaskSerializer(case.tasks.all(), many=True).data)
        data = _valid(s.TaskInSerializer, request.data)
        task = case_work.add_task(case, data["title"], by=request.user, assignee=data["assignee"],
                                  due_date=data["due_date"])  # fmt: skip
        return Response(s.TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Change a task (its assignee may mark it done)", request=s.TaskUpdateSerializer,
                   responses=s.TaskSerializer)  # fmt: skip
    @action(detail=True, methods=["patch"], url_path=r"tasks/(?P<task_id>\d+)")
    def task_update(self, request: Request, pk: str, task_id: str) -> Response:
        task = get_object_or_404(self._case().tasks, pk=int(task_id))
        data = _valid(s.TaskUpdateSerializer, request.data)
        task = case_work.update_task(task, by=request.user, **data)
        return Response(s.TaskSerializer(task).data)

    @extend_schema(methods=["GET"], summary="Findings attached to a case", responses=s.AttachmentSerializer(many=True))
    @extend_schema(methods=["POST"], summary="Attach a note, a Plotly figure or a file", request=s.AttachmentInSerializer,
                   responses={201: s.AttachmentSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"])
    def attachments(self, request: Request, pk: str) -> Response:
        case = self._case()
        if self._is_read():
            return Response(s.AttachmentSerializer(case.attachments.all(), many=True).data)
        data = _valid(s.AttachmentInSerializer, request.data)
        attachment = case_work.add_attachment(case, by=request.user, kind=data["kind"], title=data["title"],
                                              text=data["text"], upload=data["file"])  # fmt: skip
        return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Download an attached file", responses={(200, "*/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>\d+)/download",
            renderer_classes=[JSONRenderer, PassthroughRenderer])  # fmt: skip
    def attachment_download(self, request: Request, pk: str, attachment_id: str) -> HttpResponse:
        attachment = get_object_or_404(self._case().attachments, pk=int(attachment_id))
        if not attachment.file:
            raise CaseRefused("This attachment has no file; its content is in `text`.")
        name, content = selectors.attachment_download(attachment)
        response = HttpResponse(content, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    # ------------------------------------------------------------ alerts, audit, exports

    @extend_schema(summary="Regrowth alerts on a case", responses=s.CaseAlertSerializer(many=True))
    @action(detail=True, methods=["get"])
    def alerts(self, request: Request, pk: str) -> Response:
        return Response(s.CaseAlertSerializer(self._case().alerts.all(), many=True).data)

    @extend_schema(summary="Acknowledge a regrowth alert", request=s.AcknowledgeSerializer, responses=s.CaseAlertSerializer)
    @action(detail=True, methods=["post"], url_path=r"alerts/(?P<alert_id>\d+)/acknowledge")
    def acknowledge(self, request: Request, pk: str, alert_id: str) -> Response:
        alert = get_object_or_404(self._case().alerts, pk=int(alert_id))
        data = _valid(s.AcknowledgeSerializer, request.data)
        alert = case_workflow.acknowledge_alert(alert, by=request.user, add_accounts_to_case=data["add_accounts"])
        return Response(s.CaseAlertSerializer(alert).data)

    @extend_schema(summary="The case's audit log, in order", responses=s.AuditEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def audit(self, request: Request, pk: str) -> Response:
        return Response(s.AuditEventSerializer(selectors.case_audit(self._case()), many=True).data)

    @extend_schema(
        summary="Export a case: stix (STIX 2.1 bundle), accounts_csv, indicators_csv or report (HTML)",
        responses={(200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The exported file.")},
    )
    @action(detail=True, methods=["get"], url_path=r"export/(?P<fmt>stix|accounts_csv|indicators_csv|report)",
            renderer_classes=[JSONRenderer, PassthroughRenderer])  # fmt: skip
    def export(self, request: Request, pk: str, fmt: str) -> HttpResponse:
        nonce = str(request._request.csp_nonce) if fmt == ExportFormat.REPORT else ""  # type: ignore[attr-defined]
        file = case_work.export_case(self._case(), fmt, by=request.user, script_nonce=nonce)
        response = HttpResponse(file.content, content_type=file.content_type)
        disposition = "inline" if fmt == ExportFormat.REPORT else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{file.filename}"'
        return response


@extend_schema_view(
    list=extend_schema(summary="Pending cluster proposals", responses=s.ProposalSerializer(many=True)),
    create=extend_schema(summary="Propose a cluster for a case", request=s.ProposalInSerializer,
                         responses={201: s.ProposalSerializer}),
)  # fmt: skip
class ProposalViewSet(_CaseErrors, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[ClusterProposal]):
    """Analysts propose clusters for cases; case managers see the pending ones and accept or decline them."""

    serializer_class = s.ProposalSerializer
    lookup_value_regex = r"\d+"  # `/case-proposals/abc/decide/` is a 404, not an error

    def get_permissions(self) -> list[BasePermission]:
        # any reader may propose; the pending queue (with every proposer's note) is the case managers', as in the UI
        return [IsReader()] if self.action == "create" else [IsCaseManager()]

    def get_queryset(self) -> Any:
        return selectors.pending_proposals()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _valid(s.ProposalInSerializer, request.data)
        cluster = CaseViewSet._cluster(data["cluster_id"])
        case = get_object_or_404(Case, pk=data["case"]) if data["case"] is not None else None
        proposal = case_work.propose_cluster(cluster, by=request.user, case=case, note=data["note"])
        return Response(s.ProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Accept or decline a proposal", request=s.DecisionSerializer, responses=s.ProposalSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        data = _valid(s.DecisionSerializer, request.data)
        proposal = get_object_or_404(ClusterProposal, pk=int(pk))
        proposal = case_work.decide_proposal(proposal, by=request.user, accept=data["accept"], title=data["title"])
        return Response(s.ProposalSerializer(proposal).data)


@extend_schema_view(
    list=extend_schema(summary="The audit log (admins), filtered by actor, action, case and day",
                       parameters=[s.AuditFilterSerializer]),
)  # fmt: skip
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[AuditEvent]):
    """Every recorded change, read-only, for admins."""

    serializer_class = s.AuditEventSerializer
    permission_classes = [IsAdmin]

    def get_queryset(self) -> Any:
        filters = _valid(s.AuditFilterSerializer, self.request.query_params)
        return selectors.audit_events(selectors.AuditFilters(**filters))
