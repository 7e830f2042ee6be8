"""Detection runs carry a heartbeat and an attempt count, and a periodic task re-queues runs whose worker died."""

from django.db import migrations, models

RECOVER_TASK = "investigations.recover_detection_runs"
NAME = "detection: recover runs whose worker died"


def add_task(apps, schema_editor):  # noqa: ANN001, ARG001 - migration signature
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = interval_model.objects.get_or_create(every=1, period="minutes")
    task_model.objects.get_or_create(
        name=NAME, defaults={"task": RECOVER_TASK, "interval": every_minute, "queue": "detection", "enabled": True}
    )


def remove_task(apps, schema_editor):  # noqa: ANN001, ARG001 - migration signature
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("investigations", "0009_hash_legacy_api_tokens"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="detectionrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, help_text="Renewed while a worker runs it.", null=True),
        ),
        migrations.AddField(
            model_name="detectionrun",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.RunPython(add_task, remove_task),
    ]
