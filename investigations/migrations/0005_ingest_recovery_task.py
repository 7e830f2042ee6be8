"""Register the periodic task that re-queues ingest jobs whose worker died (no heartbeat)."""

from django.db import migrations

RECOVER_TASK = "investigations.recover_ingest_jobs"
NAME = "ingest: recover jobs whose worker died"


def add_task(apps, schema_editor):  # noqa: ANN001, ARG001 - migration signature
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = interval_model.objects.get_or_create(every=1, period="minutes")
    task_model.objects.get_or_create(
        name=NAME, defaults={"task": RECOVER_TASK, "interval": every_minute, "queue": "ingest", "enabled": True}
    )


def remove_task(apps, schema_editor):  # noqa: ANN001, ARG001 - migration signature
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("investigations", "0004_ingest_job_report"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_task, remove_task)]
