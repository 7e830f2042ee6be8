"""When members act: sign-up bursts measured against chance, hydra replacements after bans, quiet hours, and
the synchronised move to a newly released model. Pure functions of the member facts; `features.py` turns them
into cluster features with their evidence."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph.detection.evidence import EVIDENCE_PER_SIGNAL, Evidence, iso_minute, share_of

MIN_BACKGROUND_SPAN = 30 * 86400
MIN_ACTIVE_HOURS_FOR_RHYTHM = 12


@dataclass(frozen=True)
class NewModelInfo:
    """A model released during the observed period (epoch seconds)."""

    name: str
    released_at: int


def chance_per_window(created: np.ndarray, window: float) -> float:
    """Sign-ups of other members expected in a window of `window` seconds by chance: the members' sign-ups spread
    evenly over their span (at least `MIN_BACKGROUND_SPAN`). A large cluster of ordinary accounts has sign-ups close
    together by chance; a burst must stand out from that."""
    t = created[~np.isnan(created)]
    if len(t) < 2:
        return 0.0
    return (len(t) - 1) * window / max(float(t.max() - t.min()), MIN_BACKGROUND_SPAN)


def signup_bursts(
    created: np.ndarray, background_sigmas: float = 4.0, window_hours: float = 6.0
) -> tuple[float, list[Evidence]]:
    """Share of members created within half of `window_hours` of at least two other members, and more than chance
    gives a cluster of this size (`background_sigmas` Poisson deviations above the expected count), and the burst
    windows."""
    half_window = window_hours * 3600 / 2
    t = np.sort(created[~np.isnan(created)])
    if len(t) < 3:
        return 0.0, []
    expected = chance_per_window(t, 2 * half_window)
    need = max(2, math.ceil(expected + background_sigmas * math.sqrt(expected) + 1)) if expected > 0 else 2
    lo = np.searchsorted(t, t - half_window, side="left")
    hi = np.searchsorted(t, t + half_window, side="right")
    in_burst = (hi - lo - 1) >= need
    windows: list[list[float]] = []
    for value in t[in_burst]:
        if windows and value - windows[-1][-1] <= half_window:
            windows[-1].append(value)
        else:
            windows.append([value])
    windows.sort(key=lambda w: -len(w))
    evidence = [
        Evidence(
            kind="time_window",
            id=iso_minute(w[0]),
            accounts=len(w),
            detail=f"{len(w)} accounts created between {iso_minute(w[0])} and {iso_minute(w[-1])}",
        )
        for w in windows[:EVIDENCE_PER_SIGNAL]
    ]
    return share_of(in_burst.sum(), len(created)), evidence


def replacements(members: Sequence[dict[str, Any]], window_hours: float = 24.0) -> tuple[int, list[Evidence]]:
    """Members created within `window_hours` after another member was banned or suspended (hydra replacements)."""
    bans = sorted(
        (m["status_changed_at"], m["account_id"])
        for m in members
        if m.get("status") in ("banned", "suspended") and m.get("status_changed_at") is not None
    )
    if not bans:
        return 0, []
    ban_times = np.asarray([b[0] for b in bans], dtype=np.float64)
    found: list[tuple[float, str, str]] = []
    for m in members:
        created = m.get("created_at")
        if created is None:
            continue
        i = int(np.searchsorted(ban_times, created, side="right")) - 1
        if i >= 0 and created - ban_times[i] <= window_hours * 3600 and bans[i][1] != m["account_id"]:
            found.append((created - ban_times[i], bans[i][1], m["account_id"]))
    found.sort()
    evidence = [
        Evidence(
            kind="time_window",
            id=iso_minute(ban_times[0]),
            accounts=2,
            detail=f"{new} created {gap / 3600:.1f} h after {old} was banned or suspended",
        )
        for gap, old, new in found[:EVIDENCE_PER_SIGNAL]
    ]
    return len(found), evidence


def quiet_share(hours: Sequence[int] | None, counts: Sequence[int] | None, quiet_hours: int = 6) -> float | None:
    """Share of an account's exchanges in its quietest `quiet_hours` consecutive hours of the UTC day (None if too
    sparse)."""
    if not hours or len(hours) < MIN_ACTIVE_HOURS_FOR_RHYTHM:
        return None
    h = np.asarray(hours, dtype=np.int64) % 24
    c = np.asarray(counts if counts and len(counts) == len(hours) else np.ones(len(hours)), dtype=np.float64)
    by_hour = np.bincount(h, weights=c, minlength=24)
    total = by_hour.sum()
    if total <= 0:
        return None
    window = np.convolve(np.concatenate([by_hour, by_hour[: quiet_hours - 1]]), np.ones(quiet_hours), "valid")
    return float(window[:24].min() / total)


@dataclass(frozen=True)
class PivotStats:
    """How a cluster moved to a new model: shares of its active members, and how tightly together."""

    fast_share: float
    """Active members whose first use of the model came within the window after its release."""
    sync_share: float
    """Active members whose first use fell in the densest `sync_hours` window."""
    concentration: float
    """Of the fast movers, the share inside that densest window (1: all moved at once)."""
    median_hours: float
    evidence: tuple[Evidence, ...] = ()
    fast_evidence: tuple[Evidence, ...] = ()
    """The fast movers behind `fast_share` (a quick move, together or not)."""

    @property
    def together(self) -> float:
        """Members that moved at once, discounted when the movers were spread out (ordinary adoption)."""
        return self.sync_share * self.concentration


def pivot_sync(
    members: Sequence[dict[str, Any]], models: Sequence[NewModelInfo], window_hours: float, sync_hours: float
) -> PivotStats:
    """The fastest, most synchronised move of the cluster's active members to any new model."""
    active = [m for m in members if (m.get("exchanges") or 0) > 0]
    best = PivotStats(0.0, 0.0, 0.0, 0.0)
    for model in models if active else ():
        delays = []
        for m in active:
            for u in m.get("models") or []:
                if u["id"] == model.name and u.get("first_seen") is not None:
                    delay = (u["first_seen"] - model.released_at) / 3600.0
                    if 0 <= delay <= window_hours:
                        delays.append(delay)
        if not delays:
            continue
        d = np.sort(np.asarray(delays))
        ends = np.searchsorted(d, d + sync_hours, side="right")
        k = int(np.argmax(ends - np.arange(len(d))))
        in_window = int(ends[k] - k)
        stats = PivotStats(
            fast_share=share_of(len(d), len(active)),
            sync_share=share_of(in_window, len(active)),
            concentration=share_of(in_window, len(d)),
            median_hours=float(np.median(d)),
            evidence=(
                Evidence(
                    kind="model",
                    id=model.name,
                    accounts=in_window,
                    detail=(
                        f"{in_window} of {len(active)} active accounts first used {model.name} between "
                        f"{d[k]:.1f} h and {d[ends[k] - 1]:.1f} h after its release ({len(d)} within {window_hours:.0f} h)"
                    ),
                ),
                Evidence(
                    kind="time_window",
                    id=iso_minute(model.released_at + d[k] * 3600),
                    accounts=in_window,
                    detail=f"synchronised move to {model.name}",
                ),
            ),
        )
        stats = dataclasses.replace(stats, fast_evidence=(Evidence(
            kind="model", id=model.name, accounts=len(d),
            detail=f"{len(d)} of {len(active)} active accounts first used {model.name} within {window_hours:.0f} h of "
                   f"its release (median {stats.median_hours:.1f} h)",
        ),))  # fmt: skip
        if (stats.together, stats.fast_share) > (best.together, best.fast_share):
            best = stats
    return best
