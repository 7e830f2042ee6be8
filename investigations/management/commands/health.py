"""`manage.py health`: show every component's status; exit non-zero when one is down."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from investigations.health import check_all


class Command(BaseCommand):
    help = "Show Neo4j, GDS, Redis, Celery worker and beat, and database status; exit 1 if any is down."

    def handle(self, *args: Any, **options: Any) -> None:
        statuses = check_all()
        width = max(len(s.name) for s in statuses)
        for status in statuses:
            mark = self.style.SUCCESS("up  ") if status.ok else self.style.ERROR("DOWN")
            self.stdout.write(f"{mark} {status.name.ljust(width)}  {status.detail}")
        down = [s.name for s in statuses if not s.ok]
        if down:
            raise CommandError(f"down: {', '.join(down)}")
