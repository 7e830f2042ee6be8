"""Celery tasks: thin, idempotent wrappers that take ids and call services, one module per area. Importing the
package (Celery's autodiscovery does) registers them all."""

from investigations.tasks import detection, health, ingest, partners

__all__ = ["detection", "health", "ingest", "partners"]
