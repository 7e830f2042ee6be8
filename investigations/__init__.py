"""The Django project and core app: settings, Celery app, models, services, selectors, tasks, API."""

from investigations.celery import app as celery_app

__all__ = ["celery_app"]
