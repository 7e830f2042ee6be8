"""REST API routes."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from investigations.api import views

router = DefaultRouter()

urlpatterns = [
    path("health/", views.HealthView.as_view(), name="api-health"),
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]
