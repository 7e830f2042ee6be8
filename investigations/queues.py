"""Celery queue names."""

from enum import StrEnum


class Queue(StrEnum):
    """The queues workers listen on; ingest and detection can be scaled out separately."""

    DEFAULT = "default"
    INGEST = "ingest"
    DETECTION = "detection"
