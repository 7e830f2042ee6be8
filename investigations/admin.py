"""Django admin registrations (read-mostly; the UI is the main way in)."""

from django.contrib import admin

from investigations.models import Annotation, Cluster, DetectionRun, IngestJob, IngestSchedule

admin.site.register([IngestJob, IngestSchedule, DetectionRun, Cluster, Annotation])
