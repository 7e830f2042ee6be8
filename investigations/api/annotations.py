"""REST API of annotations: analysts' labels, notes and tags on clusters and accounts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from investigations.api.clusters import WorkspacePagination
from investigations.models import Annotation, AnnotationLabel, AnnotationTarget
from investigations.permissions import IsReader
from investigations.services.annotations import MAX_TAG_LENGTH, MAX_TAGS, annotate


class AnnotationSerializer(serializers.ModelSerializer[Annotation]):
    """A label, note and tags on a cluster (by stable key) or an account; the author is the caller."""

    author = serializers.CharField(source="author.get_username", read_only=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH),
        max_length=MAX_TAGS,
        required=False,
        default=list,
    )
    label = serializers.ChoiceField(  # type: ignore[assignment]  # a field named like a Field attribute
        choices=AnnotationLabel.choices, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Annotation
        fields = ["id", "target", "target_id", "label", "note", "tags", "author", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("target", str, enum=AnnotationTarget.values),
            OpenApiParameter("target_id", str, description="Cluster key or account id."),
            OpenApiParameter("label", str, enum=AnnotationLabel.values),
            OpenApiParameter("author", str, description="Username."),
            OpenApiParameter("tag", str),
        ]
    )
)
class AnnotationViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Annotation],
):
    """Annotations, newest first; anyone who reads clusters may annotate, and everyone sees every annotation."""

    permission_classes = [IsReader]
    serializer_class = AnnotationSerializer
    pagination_class = WorkspacePagination

    def get_queryset(self) -> QuerySet[Annotation]:
        qs = Annotation.objects.select_related("author").order_by("-created_at", "-pk")
        params = self.request.query_params
        for field, choices in (("target", AnnotationTarget), ("label", AnnotationLabel)):
            value = params.get(field)
            if value and value not in choices.values:
                raise ValidationError({field: [f"{value!r} is not one of {', '.join(choices.values)}."]})
        for field in ("target", "target_id", "label"):
            if params.get(field):
                qs = qs.filter(**{field: params[field]})
        if params.get("author"):
            qs = qs.filter(author__username=params["author"])
        if params.get("tag"):
            tag = params["tag"]
            # JSON containment is not portable to SQLite: match the tag as a JSON string inside the list.
            qs = qs.filter(tags__icontains=f'"{tag}"')
        return qs

    def perform_create(self, serializer: serializers.BaseSerializer[Annotation]) -> None:
        data: dict[str, Any] = dict(serializer.validated_data)
        try:
            serializer.instance = annotate(
                target=data["target"],
                target_id=data["target_id"],
                author=self.request.user,
                label=data.get("label", ""),
                note=data.get("note", ""),
                tags=data.get("tags", []),
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
