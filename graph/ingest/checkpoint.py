"""The checkpoint of stage two: which steps are done and, within the step under way, how many of its batches are
committed, so that a retried job skips everything an earlier attempt committed.

Kept as plain JSON data (`{"done": [...], "step": name, "batch": index, "session_batch_rows": n}`, the last so
that batch indexes mean the same rows in every attempt) that the caller stores between attempts
(the `IngestJob` row). With parallel writers a later batch may commit before an earlier one, so the checkpoint
keeps the longest run of committed batches from the first; batches after it are replayed, which every batch
allows (see `graph/ingest/load.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

Checkpoint = dict[str, Any]


class CheckpointTracker:
    """Tracks committed steps and batches, and hands the checkpoint to `on_save` each time it advances."""

    def __init__(self, state: Checkpoint | None, on_save: Callable[[Checkpoint], None] | None) -> None:
        self.state: Checkpoint = dict(state or {})
        self.state.setdefault("done", [])
        self.on_save = on_save
        self._committed: set[int] = set()  # batch indexes of the current step known to be committed

    def is_done(self, step: str) -> bool:
        """Whether an earlier attempt finished the step."""
        return step in self.state["done"]

    def begin(self, step: str, *, resume: bool = True) -> int:
        """Start (or resume) submitting a step's batches; returns the last batch index an earlier attempt committed
        (-1 for none, or when the step's own data is its checkpoint: `resume` false)."""
        done_before = self.state.get("batch", -1) if resume and self.state.get("step") == step else -1
        self._committed = set(range(done_before + 1))
        return int(done_before)

    def note(self, markers: Iterable[tuple[str, int]]) -> None:
        """Record committed batches (step, index); saves when the run of committed batches grew."""
        before = (self.state.get("step"), self.state.get("batch"))
        for step, index in markers:
            if self.state.get("step") != step:
                self.state["step"], self.state["batch"] = step, -1
                self._committed = set()
            self._committed.add(index)
            while self.state["batch"] + 1 in self._committed:
                self.state["batch"] += 1
        if (self.state.get("step"), self.state.get("batch")) != before:
            self.save()

    def finish(self, step: str) -> None:
        """The step is done: recorded and saved."""
        self.state["done"].append(step)
        self.state.pop("step", None)
        self.state.pop("batch", None)
        self.save()

    def save(self) -> None:
        """Hand a copy of the checkpoint to the caller."""
        if self.on_save is not None:
            self.on_save(json.loads(json.dumps(self.state)))
