"""'The latest run' means one thing for every page, API call and command: the successful run that finished last."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from investigations.models import Cluster, DetectionRun, JobStatus
from investigations.selectors.case_evidence import latest_cluster_with_key
from investigations.selectors.runs import latest_run, previous_run, run_from_param


@pytest.mark.django_db
def test_the_latest_run_is_the_successful_one_that_finished_last() -> None:
    now = timezone.now()
    retried = DetectionRun.objects.create(status=JobStatus.SUCCEEDED, finished_at=now)  # created first, finished last
    other = DetectionRun.objects.create(status=JobStatus.SUCCEEDED, finished_at=now - dt.timedelta(hours=1))
    DetectionRun.objects.create(status=JobStatus.FAILED, finished_at=now + dt.timedelta(hours=1))
    for run in (retried, other):
        Cluster.objects.create(run=run, key="C-000001", size=3, score=0.5)
    assert latest_run() == retried == run_from_param("")
    assert latest_cluster_with_key("C-000001").run == retried  # type: ignore[union-attr]
    assert previous_run(other) == retried  # created before it, finished after: still the latest before it
    assert run_from_param(str(other.pk)) == other
    with pytest.raises(ValueError, match="not a detection run id"):
        run_from_param("abc")
