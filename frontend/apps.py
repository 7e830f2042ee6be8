"""App configuration of the UI."""

from django.apps import AppConfig


class FrontendConfig(AppConfig):
    """Server-rendered pages for analysts, case managers and admins."""

    name = "frontend"
    verbose_name = "Web UI"
