"""Time-to-detect per campaign: hours from an account's first exchange to the first run that flagged it."""

from __future__ import annotations

import datetime as dt

from frontend.templatetags.workspace import hours
from graph.detection.timeliness import hours_between, time_to_detect

T0 = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


def test_hours_between_is_never_negative_and_unknown_without_a_first_exchange() -> None:
    assert hours_between(T0, T0 + dt.timedelta(hours=30)) == 30.0
    assert hours_between(T0 + dt.timedelta(hours=5), T0) == 0.0  # flagged before it started: detected at once
    assert hours_between(None, T0) is None
    assert hours_between(T0, None) is None


def test_time_to_detect_per_campaign() -> None:
    campaign_of = {"a1": "aurora", "a2": "aurora", "a3": "aurora", "a4": "aurora", "b1": "basalt", "l1": ""}
    active = {"a1", "a2", "a3", "b1", "l1"}
    waits = {"a1": 2.0, "a2": 10.0, "a3": 30.0, "l1": 1.0}
    result = time_to_detect(campaign_of, active, waits)
    assert sorted(result) == ["aurora", "basalt"]  # legitimate accounts are not a campaign
    aurora = result["aurora"]
    assert (aurora.accounts, aurora.active, aurora.detected) == (4, 3, 3)
    assert aurora.median_hours == 10.0 and aurora.max_hours == 30.0
    assert aurora.p90_hours is not None and 10.0 < aurora.p90_hours < 30.0
    basalt = result["basalt"]
    assert (basalt.detected, basalt.median_hours, basalt.p90_hours) == (0, None, None)


def test_hours_filter_reads_like_a_person() -> None:
    assert [hours(v) for v in (None, 0.25, 18.4, 50)] == ["—", "15 min", "18 h", "2.1 days"]
