"""App configuration of the core app."""

from django.apps import AppConfig


class InvestigationsConfig(AppConfig):
    """The core app: models, services, selectors, tasks and the REST API."""

    name = "investigations"
    verbose_name = "Investigations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Every new SQLite connection gets the function the audit log's delete trigger asks; after every migrate
        the append-only triggers are (re)installed (SQLite drops a table's triggers when a migration rebuilds it)."""
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from investigations.audit_chain import ensure_triggers, register_sqlite_function

        connection_created.connect(
            lambda sender, connection, **kwargs: register_sqlite_function(connection),
            weak=False, dispatch_uid="hydra-audit-sqlite-function",
        )  # fmt: skip
        post_migrate.connect(
            lambda sender, using, **kwargs: ensure_triggers(using),
            sender=self, weak=False, dispatch_uid="hydra-audit-triggers",
        )  # fmt: skip
