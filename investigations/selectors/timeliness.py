"""Reads for time-to-detect: when accounts were first flagged, per cluster and per campaign of a labels file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from graph.detection.evaluate import read_labels
from graph.detection.timeliness import CampaignTiming, first_seen, hours_between, time_to_detect
from graph.driver import get_graph
from investigations.models import DetectionRun, FirstFlag

CHUNK = 900  # ids per IN query (SQLite's default variable limit is 999)


@dataclass(frozen=True)
class FirstFlagRow:
    """The first run that flagged an account, and the latest time in the data that run had seen."""

    run_id: int
    cluster_key: str
    data_as_of: dt.datetime | None

    def hours_after(self, first_exchange: dt.datetime | None) -> float | None:
        """Time-to-detect of an account whose first exchange was at `first_exchange` (0 when it was flagged before
        it started; None while it has not)."""
        return hours_between(first_exchange, self.data_as_of)


def first_flags(account_ids: Iterable[str], *, up_to: DetectionRun | None = None) -> dict[str, FirstFlagRow]:
    """When each of the accounts was first flagged (by `up_to` or an earlier run, when given)."""
    ids = sorted(set(account_ids))
    out: dict[str, FirstFlagRow] = {}
    for start in range(0, len(ids), CHUNK):
        rows = FirstFlag.objects.filter(account_id__in=ids[start : start + CHUNK])
        if up_to is not None:
            rows = rows.filter(run_id__lte=up_to.pk)
        for account, run_id, key, as_of in rows.values_list("account_id", "run_id", "cluster_key", "data_as_of"):
            out[account] = FirstFlagRow(run_id, key, as_of)
    return out


@dataclass(frozen=True)
class DetectionTiming:
    """How fast a cluster's members were flagged: counts, median and 90th percentile hours, every member's hours."""

    flagged: int
    members: int
    median_hours: float | None
    p90_hours: float | None
    hours: tuple[float, ...]


def detection_timing(members: Sequence[dict[str, Any]]) -> DetectionTiming:
    """Summary of the `hours_to_detect` of member rows (members never flagged count only in `members`)."""
    hours = tuple(float(m["hours_to_detect"]) for m in members if m.get("hours_to_detect") is not None)
    waits = np.array(hours, dtype=np.float64)
    return DetectionTiming(
        flagged=sum(1 for m in members if m.get("first_flagged_run") is not None),
        members=len(members),
        median_hours=float(np.median(waits)) if len(waits) else None,
        p90_hours=float(np.percentile(waits, 90)) if len(waits) else None,
        hours=hours,
    )


def campaign_timings(run: DetectionRun, labels_path: Path) -> dict[str, CampaignTiming]:
    """Time-to-detect per campaign of a labels file, counting the runs up to `run`."""
    labels = read_labels(labels_path)
    campaign_of = dict(zip(labels["account_id"], labels["campaign"], strict=True))
    campaign_ids = [a for a, c in campaign_of.items() if c]
    flags = first_flags(campaign_ids, up_to=run)
    active = first_seen(get_graph(), campaign_ids)
    hours = {a: h for a, f in flags.items() if (h := f.hours_after(active.get(a))) is not None}
    return time_to_detect({a: campaign_of[a] for a in campaign_ids}, active, hours)
