"""Relational records of the platform: jobs, runs, clusters, annotations, alerts and the audit log."""

from investigations.models.detection import Cluster, ClusterMember, DetectionRun, RegrowthAlert
from investigations.models.jobs import IngestJob, IngestSchedule, JobStatus
from investigations.models.notes import Annotation, AnnotationLabel, AnnotationTarget

__all__ = [
    "Annotation",
    "AnnotationLabel",
    "AnnotationTarget",
    "Cluster",
    "ClusterMember",
    "DetectionRun",
    "IngestJob",
    "IngestSchedule",
    "JobStatus",
    "RegrowthAlert",
]
