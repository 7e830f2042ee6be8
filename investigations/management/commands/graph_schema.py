"""`manage.py graph_schema`: create the graph's constraints and indexes (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand

from graph.driver import get_graph
from graph.schema import apply_schema, existing_constraints


class Command(BaseCommand):
    help = "Create every uniqueness constraint and index of the graph schema; safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        graph = get_graph()
        count = apply_schema(graph)
        self.stdout.write(f"applied {count} schema statements; {len(existing_constraints(graph))} constraints present")
