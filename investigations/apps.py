"""App configuration of the core app."""

from django.apps import AppConfig


class InvestigationsConfig(AppConfig):
    """The core app: models, services, selectors, tasks and the REST API."""

    name = "investigations"
    verbose_name = "Investigations"
    default_auto_field = "django.db.models.BigAutoField"
