"""Top-level URL map: the UI, the REST API with its schema and docs (Swagger UI with its start-up script as a
separate file, for the Content-Security-Policy), the TAXII 2.1 server for partners, and Django admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("investigations.api.urls")),
    path("taxii2/", include("investigations.taxii.urls")),
    path("", include("frontend.urls")),
]
