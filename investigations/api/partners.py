"""REST API of indicator exchange: publishing a case's indicators and its publications, partner-match alerts,
and uploading a partner's bundle (partners themselves use the TAXII server, never this API)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from investigations.models import Case, Partner, PartnerAlert, Publication, TaxiiCollection, TlpLevel
from investigations.permissions import IsAdmin, IsCaseManager, IsReader
from investigations.selectors import partners as selectors
from investigations.services import partner_imports, partner_matching, publishing
from investigations.services.cases import CaseError, CasePermissionError


class PublicationSerializer(serializers.ModelSerializer[Publication]):
    """One publication of a case's indicators."""

    collections = serializers.SerializerMethodField()
    published_by = serializers.CharField(source="published_by.get_username", read_only=True)

    class Meta:
        model = Publication
        fields = ["id", "collections", "tlp", "note", "objects_published", "published_by", "published_at",
                  "revoked_at", "revoked_reason"]  # fmt: skip

    def get_collections(self, obj: Publication) -> list[str]:
        """Ids of the collections it went to."""
        return [str(c.pk) for c in obj.collections.all()]


class PublishSerializer(serializers.Serializer[None]):
    """What to publish a case's indicators to, and how marked."""

    collections = serializers.PrimaryKeyRelatedField(queryset=TaxiiCollection.objects.all(), many=True, allow_empty=False)
    tlp = serializers.ChoiceField(choices=TlpLevel.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class PublishCaseView(APIView):
    """Publish a confirmed or actioned case's indicators to TAXII collections (case managers)."""

    permission_classes = [IsCaseManager]

    @extend_schema(summary="Publish a case's indicators to partners", request=PublishSerializer,
                   responses={201: PublicationSerializer})  # fmt: skip
    def post(self, request: Request, id: int) -> Response:
        case = get_object_or_404(Case, pk=id)
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            pub = publishing.publish_case(case, collections=d["collections"], tlp=d["tlp"], note=d["note"], by=request.user)
        except CasePermissionError as exc:
            raise PermissionDenied(str(exc)) from exc
        except CaseError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        return Response(PublicationSerializer(pub).data, status=status.HTTP_201_CREATED)


class CasePublicationsView(APIView):
    """What a case published to partners, newest first."""

    permission_classes = [IsReader]

    @extend_schema(summary="A case's publications", responses=PublicationSerializer(many=True))
    def get(self, request: Request, id: int) -> Response:
        case = get_object_or_404(Case, pk=id)
        return Response(PublicationSerializer(selectors.case_publications(case), many=True).data)


class PartnerAlertSerializer(serializers.ModelSerializer[PartnerAlert]):
    """An alert: a partner's indicator named accounts of ours."""

    partner = serializers.CharField(source="indicator.partner.name", read_only=True)
    indicator = serializers.CharField(source="indicator.stix_id", read_only=True)
    pattern = serializers.CharField(source="indicator.pattern", read_only=True)

    class Meta:
        model = PartnerAlert
        fields = ["id", "partner", "indicator", "pattern", "account_ids", "cluster_keys", "reason", "created_at",
                  "acknowledged_at"]  # fmt: skip


class PartnerAlertsView(APIView):
    """Open partner-match alerts (the analyst queue's)."""

    permission_classes = [IsReader]

    @extend_schema(summary="Open partner-match alerts", responses=PartnerAlertSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(PartnerAlertSerializer(selectors.open_partner_alerts(limit=200), many=True).data)


class PartnerAlertAcknowledgeView(APIView):
    """Acknowledge a partner-match alert."""

    permission_classes = [IsReader]

    @extend_schema(summary="Acknowledge a partner-match alert", request=None, responses=PartnerAlertSerializer)
    def post(self, request: Request, id: int) -> Response:
        alert = partner_matching.acknowledge_partner_alert(get_object_or_404(PartnerAlert, pk=id), by=request.user)
        return Response(PartnerAlertSerializer(alert).data)


class ImportSerializer(serializers.Serializer[None]):
    """A partner's STIX 2.1 bundle, uploaded by an admin."""

    partner = serializers.PrimaryKeyRelatedField(queryset=Partner.objects.all())
    bundle = serializers.FileField()


class ImportResultSerializer(serializers.Serializer[None]):
    """What an upload stored: how many objects, and the ids of the indicator versions kept."""

    objects = serializers.IntegerField()
    indicators = serializers.ListField(child=serializers.IntegerField())


class PartnerImportView(APIView):
    """Import a bundle a partner sent another way: validated whole, stored, matched against the graph (admins)."""

    permission_classes = [IsAdmin]
    parser_classes = [MultiPartParser]

    @extend_schema(summary="Upload a partner's STIX bundle", request={"multipart/form-data": ImportSerializer},
                   responses={201: ImportResultSerializer})  # fmt: skip
    def post(self, request: Request) -> Response:
        body = ImportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["bundle"]
        try:
            if upload.size > 10 * 1024 * 1024:
                raise partner_imports.EnvelopeRejected("Too large", "A bundle of at most 10 MiB.", 413)
            objects = partner_imports.parse_upload(upload.read())
            result = partner_imports.import_objects(body.validated_data["partner"], objects, collection=None, by=request.user)
        except partner_imports.EnvelopeRejected as exc:
            return Response({"title": exc.title, "detail": exc.description}, status=exc.http_status)
        return Response({"objects": result.objects, "indicators": result.indicators}, status=status.HTTP_201_CREATED)
