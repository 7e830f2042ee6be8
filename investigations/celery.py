"""The Celery application; tasks are discovered from the Django apps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "investigations.settings.dev")

app = Celery("investigations")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
