"""The REST API (DRF): serializers, views and routes."""
