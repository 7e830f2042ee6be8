"""REST API of accounts, shared entities and search."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from investigations.api.clusters import WorkspacePagination
from investigations.models import ClusterMember
from investigations.permissions import IsReader
from investigations.selectors.accounts import (
    EntityKind,
    account_overview,
    account_session_count,
    account_sessions,
    clusters_holding,
    entity,
    entity_account_ids,
    entity_accounts,
)
from investigations.selectors.networks import split_key
from investigations.selectors.runs import latest_run
from investigations.selectors.search import search


class MembershipSerializer(serializers.ModelSerializer[ClusterMember]):
    """An account's membership in a cluster of one run."""

    run = serializers.IntegerField(source="cluster.run_id")
    cluster = serializers.CharField(source="cluster.key")
    score = serializers.FloatField(source="cluster.score")
    flagged = serializers.BooleanField(source="cluster.flagged")

    class Meta:
        model = ClusterMember
        fields = ["run", "cluster", "score", "flagged", "is_new", "exchanges"]


class NeighbourSerializer(serializers.Serializer[Any]):
    """Accounts sharing one entity with the account: how many, and some of them."""

    kind = serializers.CharField()
    id = serializers.CharField()
    others = serializers.IntegerField()
    accounts = serializers.ListField(child=serializers.DictField())


class AccountSerializer(serializers.Serializer[Any]):
    """An account's profile, billing, templates, models, capabilities, neighbours and cluster history."""

    account_id = serializers.CharField()
    profile = serializers.DictField()
    org_id = serializers.CharField(allow_null=True)
    email_domain = serializers.CharField(allow_null=True)
    device = serializers.CharField(allow_null=True)
    signup_ip = serializers.CharField(allow_null=True)
    sessions = serializers.IntegerField()
    api_keys = serializers.IntegerField()
    billing = serializers.ListField(child=serializers.DictField())
    templates = serializers.ListField(child=serializers.DictField())
    models = serializers.ListField(child=serializers.DictField())
    capabilities = serializers.DictField(child=serializers.IntegerField())
    reasoning_share = serializers.FloatField(allow_null=True)
    neighbours = NeighbourSerializer(many=True)
    memberships = MembershipSerializer(many=True)


class SessionSerializer(serializers.Serializer[Any]):
    """One API session with its IP, subnet, ASN, key, client and models."""

    session_id = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    user_agent = serializers.CharField(allow_null=True)
    exchanges = serializers.IntegerField()
    reasoning_exchanges = serializers.IntegerField()
    ip = serializers.CharField(allow_null=True)
    subnet = serializers.CharField(allow_null=True)
    asn = serializers.IntegerField(allow_null=True)
    asn_name = serializers.CharField(allow_null=True)
    asn_type = serializers.CharField(allow_null=True)
    api_key = serializers.CharField(allow_null=True)
    client_fingerprint = serializers.CharField(allow_null=True)
    models = serializers.ListField(child=serializers.CharField())


class AccountBriefSerializer(serializers.Serializer[Any]):
    """A short account profile."""

    account_id = serializers.CharField()
    email = serializers.CharField(allow_null=True, required=False)
    status = serializers.CharField(allow_null=True, required=False)
    plan = serializers.CharField(allow_null=True, required=False)
    country = serializers.CharField(allow_null=True, required=False)
    created_at = serializers.DateTimeField(allow_null=True, required=False)
    exchanges = serializers.IntegerField(required=False)


class ClusterHitSerializer(serializers.Serializer[Any]):
    """A cluster of the latest run holding some of an entity's accounts."""

    key = serializers.CharField()
    score = serializers.FloatField()
    flagged = serializers.BooleanField()
    size = serializers.IntegerField()
    accounts = serializers.IntegerField()


class EntitySerializer(serializers.Serializer[Any]):
    """A shared entity, how many accounts hold it and the latest run's clusters among them."""

    kind = serializers.ChoiceField(choices=EntityKind.choices)
    id = serializers.CharField()
    props = serializers.DictField()
    accounts = serializers.IntegerField()
    sampled = serializers.BooleanField()
    clusters = ClusterHitSerializer(many=True)


class SearchHitSerializer(serializers.Serializer[Any]):
    """A search match: an account or an entity, and what matched."""

    kind = serializers.CharField()
    id = serializers.CharField()
    matched = serializers.CharField()


def _expand(request: Request) -> tuple[str, str] | None:
    kind, entity_id = split_key(request.query_params.get("expand", ""))
    return (kind, entity_id) if kind and entity_id else None


class AccountView(APIView):
    """One account: profile, billing, templates, models, capabilities, neighbours, cluster history."""

    permission_classes = [IsReader]

    @extend_schema(
        parameters=[
            OpenApiParameter("expand", str, description='List up to 200 neighbours of "<kind>|<id>".')
        ],
        responses=AccountSerializer,
    )
    def get(self, request: Request, account_id: str) -> Response:
        o = account_overview(account_id, expand=_expand(request))
        if o is None:
            raise NotFound("No account with this id.")
        data = {
            **{
                k: getattr(o, k)
                for k in ("account_id", "profile", "org_id", "email_domain", "device", "signup_ip")
            },
            **{k: getattr(o, k) for k in ("sessions", "api_keys", "billing", "templates", "models")},
            "capabilities": dict(o.capabilities),
            "reasoning_share": o.reasoning_share,
            "neighbours": [vars(n) for n in o.neighbours],
            "memberships": MembershipSerializer(o.memberships, many=True).data,
        }
        return Response(data)


class AccountSessionsView(APIView):
    """An account's sessions, newest first, paginated."""

    permission_classes = [IsReader]

    @extend_schema(responses=SessionSerializer(many=True))
    def get(self, request: Request, account_id: str) -> Response:
        total = account_session_count(account_id)
        if total is None:
            raise NotFound("No account with this id.")
        paginator = WorkspacePagination()
        # A lazily fetched sequence: the paginator slices it like a list.
        sessions: Any = account_sessions(account_id, total)
        page: list[Any] | None = paginator.paginate_queryset(sessions, request, view=self)
        return paginator.get_paginated_response(SessionSerializer(page, many=True).data)


class EntityView(APIView):
    """A shared entity (card, device, IP, subnet, ASN, template...): what it is and the clusters it touches."""

    permission_classes = [IsReader]

    @extend_schema(responses=EntitySerializer)
    def get(self, request: Request, kind: str, entity_id: str) -> Response:
        found = entity(kind, entity_id)
        if found is None:
            raise NotFound("No such entity.")
        clusters = clusters_holding(entity_account_ids(kind, entity_id), latest_run())
        data = {**vars(found), "sampled": found.sampled, "clusters": [vars(c) for c in clusters]}
        return Response(EntitySerializer(data).data)


class EntityAccountsView(APIView):
    """The accounts holding an entity (at most 5,000 are read for very common ones), paginated."""

    permission_classes = [IsReader]

    @extend_schema(responses=AccountBriefSerializer(many=True))
    def get(self, request: Request, kind: str, entity_id: str) -> Response:
        if entity(kind, entity_id) is None:
            raise NotFound("No such entity.")
        paginator = WorkspacePagination()
        accounts: Any = entity_accounts(entity_account_ids(kind, entity_id))
        page: list[Any] | None = paginator.paginate_queryset(accounts, request, view=self)
        return paginator.get_paginated_response(AccountBriefSerializer(page, many=True).data)


class SearchView(APIView):
    """Exact search by account id, email, IP, subnet, ASN, fingerprints, hashes, API key or session id."""

    permission_classes = [IsReader]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="The term to look up.")],
        responses=SearchHitSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        term = request.query_params.get("q", "")[:300]
        return Response(SearchHitSerializer([vars(h) for h in search(term)], many=True).data)
