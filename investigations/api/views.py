"""REST API views: parse the request, call one selector or service, return the answer."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from investigations.health import check_all
from investigations.permissions import IsAdmin
from investigations.roles import roles_of


class HealthView(APIView):
    """Status of every component (admins only)."""

    permission_classes = [IsAdmin]

    @extend_schema(
        responses=inline_serializer(
            "ComponentStatus",
            fields={"name": serializers.CharField(), "ok": serializers.BooleanField(), "detail": serializers.CharField()},
            many=True,
        )
    )
    def get(self, request: Request) -> Response:
        return Response([asdict(status) for status in check_all()])


class MeView(APIView):
    """Who is logged in and with which roles."""

    @extend_schema(
        responses=inline_serializer(
            "Me", fields={"username": serializers.CharField(), "roles": serializers.ListField(child=serializers.CharField())}
        )
    )
    def get(self, request: Request) -> Response:
        return Response({"username": request.user.get_username(), "roles": sorted(r.value for r in roles_of(request.user))})
