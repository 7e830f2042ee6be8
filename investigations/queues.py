"""Celery queue names."""

from enum import StrEnum


class Queue(StrEnum):
    """The queues workers listen on; ingest and detection can be scaled out separately."""

    DEFAULT = "default"
    INGEST = "ingest"
    DETECTION = "detection"


# Which queue each task goes to (Celery's `task_routes`; also where beat-sent tasks land).
TASK_ROUTES: dict[str, dict[str, str]] = {
    "investigations.run_ingest": {"queue": Queue.INGEST.value},
    "investigations.scan_ingest_folder": {"queue": Queue.INGEST.value},
    "investigations.recover_ingest_jobs": {"queue": Queue.INGEST.value},
    "investigations.run_detection": {"queue": Queue.DETECTION.value},
    "investigations.recover_detection_runs": {"queue": Queue.DETECTION.value},
    "investigations.warm_cluster_pages": {"queue": Queue.DEFAULT.value},
    "investigations.rematch_partner_indicators": {"queue": Queue.DEFAULT.value},
}
