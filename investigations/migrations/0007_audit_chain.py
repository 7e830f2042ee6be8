"""The audit log's hash chain (existing entries chained in id order) and the triggers that make its table
append-only in the database itself (see investigations/audit_chain.py)."""

from typing import Any

from django.db import migrations, models

from investigations.audit_chain import create_triggers, drop_triggers, entry_digest


def chain_existing(apps: Any, schema_editor: Any) -> None:
    AuditEvent = apps.get_model("investigations", "AuditEvent")
    previous = ""
    fields = ("id", "case_id", "actor_id", "action", "summary", "before", "after", "created_at")
    for entry in AuditEvent.objects.using(schema_editor.connection.alias).order_by("id").values(*fields).iterator():
        digest = entry_digest(previous, entry)
        AuditEvent.objects.filter(pk=entry["id"]).update(previous_hash=previous, entry_hash=digest)
        previous = digest


def install_triggers(apps: Any, schema_editor: Any) -> None:
    create_triggers(schema_editor.connection)


def remove_triggers(apps: Any, schema_editor: Any) -> None:
    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("investigations", "0006_time_to_detect"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="entry_hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="previous_hash",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
