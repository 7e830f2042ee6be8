"""REST API routes."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from investigations.api import views
from investigations.api.accounts import (
    AccountSessionsView,
    AccountView,
    EntityAccountsView,
    EntityView,
    SearchView,
)
from investigations.api.annotations import AnnotationViewSet
from investigations.api.cases import AuditEventViewSet, CaseViewSet, ProposalViewSet
from investigations.api.clusters import ClusterViewSet
from investigations.api.detection import DetectionRunViewSet
from investigations.api.explorer import (
    ExplorerAccountView,
    ExplorerClusterView,
    ExplorerEntityView,
    ExplorerPathView,
    ExplorerViewDetail,
    ExplorerViewSave,
)
from investigations.api.ingest import IngestJobViewSet, IngestScheduleViewSet
from investigations.api.partners import (
    CasePublicationsView,
    PartnerAlertAcknowledgeView,
    PartnerAlertsView,
    PartnerImportView,
    PublishCaseView,
)

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("case-proposals", ProposalViewSet, basename="case-proposal")
router.register("audit", AuditEventViewSet, basename="audit-event")
router.register("detection-runs", DetectionRunViewSet, basename="detection-run")
router.register("ingest-jobs", IngestJobViewSet, basename="ingest-job")
router.register("ingest-schedules", IngestScheduleViewSet, basename="ingest-schedule")
router.register("clusters", ClusterViewSet, basename="cluster")
router.register("annotations", AnnotationViewSet, basename="annotation")

urlpatterns = [
    path("health/", views.HealthView.as_view(), name="api-health"),
    path("me/", views.MeView.as_view(), name="api-me"),
    path("search/", SearchView.as_view(), name="api-search"),
    path("accounts/<path:account_id>/sessions/", AccountSessionsView.as_view(), name="api-account-sessions"),
    path("accounts/<path:account_id>/", AccountView.as_view(), name="api-account"),
    path("entities/<str:kind>/<path:entity_id>/accounts/", EntityAccountsView.as_view(), name="api-entity-accounts"),
    path("entities/<str:kind>/<path:entity_id>/", EntityView.as_view(), name="api-entity"),
    path("explorer/clusters/<str:key>/", ExplorerClusterView.as_view(), name="api-explorer-cluster"),
    path("explorer/accounts/<path:account_id>/", ExplorerAccountView.as_view(), name="api-explorer-account"),
    path("explorer/entities/<str:kind>/<path:entity_id>/", ExplorerEntityView.as_view(), name="api-explorer-entity"),
    path("explorer/path/", ExplorerPathView.as_view(), name="api-explorer-path"),
    path("explorer/views/", ExplorerViewSave.as_view(), name="api-explorer-views"),
    path("explorer/views/<int:pk>/", ExplorerViewDetail.as_view(), name="api-explorer-view"),
    path("cases/<int:id>/publish/", PublishCaseView.as_view(), name="api-case-publish"),
    path("cases/<int:id>/publications/", CasePublicationsView.as_view(), name="api-case-publications"),
    path("partner-alerts/", PartnerAlertsView.as_view(), name="api-partner-alerts"),
    path("partner-alerts/<int:id>/acknowledge/", PartnerAlertAcknowledgeView.as_view(), name="api-partner-alert-ack"),
    path("partner-imports/", PartnerImportView.as_view(), name="api-partner-imports"),
    *router.urls,
]
