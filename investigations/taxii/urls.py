"""TAXII 2.1 routes, under /taxii2/."""

from django.urls import path

from investigations.taxii import views

urlpatterns = [
    path("", views.DiscoveryView.as_view(), name="taxii-discovery"),
    path("<str:api_root>/", views.ApiRootView.as_view(), name="taxii-api-root"),
    path("<str:api_root>/status/<str:status_id>/", views.StatusView.as_view(), name="taxii-status"),
    path("<str:api_root>/collections/", views.CollectionsView.as_view(), name="taxii-collections"),
    path("<str:api_root>/collections/<str:collection_id>/", views.CollectionView.as_view(), name="taxii-collection"),
    path(
        "<str:api_root>/collections/<str:collection_id>/objects/", views.ObjectsView.as_view(), name="taxii-objects"
    ),
    path(
        "<str:api_root>/collections/<str:collection_id>/objects/<str:object_id>/",
        views.ObjectView.as_view(),
        name="taxii-object",
    ),
    path(
        "<str:api_root>/collections/<str:collection_id>/objects/<str:object_id>/versions/",
        views.VersionsView.as_view(),
        name="taxii-object-versions",
    ),
    path(
        "<str:api_root>/collections/<str:collection_id>/manifest/", views.ManifestView.as_view(), name="taxii-manifest"
    ),
]
