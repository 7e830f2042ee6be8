"""`manage.py ingest DROP_DIR [--wait]`: ingest a drop as a Celery job on the `ingest` queue, optionally follow it."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from investigations.models import IngestJob, JobStatus
from investigations.services.ingest import create_ingest_job, worker_can_reach_redis
from investigations.services.ingest_paths import PathRefused

QUEUED_WARNING_SECONDS = 60


def report_lines(job: IngestJob) -> list[str]:
    """The job's report as text: per file read, loaded, quarantined, duplicates and seconds; then totals."""
    report = job.report or {}
    lines = [f"ingest job #{job.pk} {job.status}: {job.drop_path}"]
    for f in report.get("files", []):
        lines.append(
            f"  {f['file']:<15} read {f['read']:>11,}  loaded {f['loaded']:>11,}  quarantined {f['quarantined']:>9,}"
            f"  duplicates {f['duplicates']:>9,}  [{f['seconds']:.1f} s to read and validate]"
        )
    for warning in report.get("warnings", []):
        lines.append(f"  warning: {warning}")
    timings = report.get("timings", {})
    if timings:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        lines.append(f"  timings: {parts}")
    if report.get("exchanges"):
        lines.append(
            f"  {report['exchanges']:,} exchanges at {report.get('exchanges_per_second', 0):,.0f} exchanges/s; "
            f"templates: {report.get('templates_new', 0)} new, {report.get('templates_extended', 0)} extended, "
            f"{report.get('templates_merged', 0)} merged"
        )
        lines.append(
            f"  accounts: {report.get('new_accounts', 0):,} new, "
            f"{report.get('rows_written', {}).get('accounts:unchanged', 0):,} re-sent unchanged, "
            f"{report.get('recomputed_accounts', 0):,} recomputed from all their sessions; "
            f"{sum(report.get('retried', {}).values()):,} transactions retried after a lock conflict"
        )
    if job.quarantined_total:
        lines.append(f"  {job.quarantined_total:,} quarantined rows listed in {job.quarantine_path}")
    if job.error:
        lines.append(f"  error: {job.error.splitlines()[0]}")
    if job.detection_run_id:
        lines.append(f"  detection run #{job.detection_run_id} queued")
    return lines


class Command(BaseCommand):
    help = (
        "Ingest a telemetry drop (spec/telemetry.md) into the graph as a Celery job. With --wait, show a progress "
        "bar, print the report, and exit non-zero if the drop is rejected or the job fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("drop_dir", help="the drop directory")
        parser.add_argument("--wait", action="store_true", help="follow the job until it finishes")
        parser.add_argument(
            "--detect", action="store_true", help="start a detection run after a successful ingest"
        )
        parser.add_argument("--timeout", type=float, default=6 * 3600.0, help="seconds to wait with --wait")

    def handle(self, *args: Any, **options: Any) -> None:
        if not worker_can_reach_redis():
            raise CommandError("cannot reach the Celery broker (Redis): start it with deploy/redis.sh start")
        try:
            job = create_ingest_job(
                options["drop_dir"],
                source=IngestJob.Source.COMMAND,
                run_detection=options["detect"],
                within_root=False,
            )
        except PathRefused as exc:
            raise CommandError(f"cannot ingest {options['drop_dir']}: {exc}") from exc
        self.stdout.write(f"ingest job #{job.pk} queued for {job.drop_path}")
        if options["wait"]:
            self._follow(job.pk, options["timeout"])

    def _follow(self, job_id: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        queued_since = time.monotonic()
        with tqdm(
            total=100, unit="%", desc="queued", file=sys.stderr, bar_format="{desc:<28} {bar} {n:5.1f}%"
        ) as bar:
            while True:
                job = IngestJob.objects.get(pk=job_id)
                bar.set_description_str(f"{job.status}: {job.stage}"[:28])
                bar.update(round(100 * job.progress, 1) - bar.n)
                if job.is_finished:
                    break
                if (
                    job.status == JobStatus.QUEUED
                    and time.monotonic() - queued_since > QUEUED_WARNING_SECONDS
                ):
                    bar.write("still queued: is a worker listening on the 'ingest' queue?")
                    queued_since = time.monotonic()
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"ingest job #{job_id} did not finish within {timeout:.0f} s (still {job.status})"
                    )
                time.sleep(0.5)
        for line in report_lines(job):
            self.stdout.write(line)
        if job.status == JobStatus.REJECTED:
            raise CommandError(
                f"ingest job #{job.pk} rejected the drop: {job.error.removeprefix('drop rejected: ')}"
            )
        if job.status == JobStatus.FAILED:
            raise CommandError(
                f"ingest job #{job.pk} failed: {job.error.splitlines()[0] if job.error else '?'}"
            )
