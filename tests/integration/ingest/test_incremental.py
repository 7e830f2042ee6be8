"""Incremental ingest: drop A then drop B gives exactly the graph of ingesting A and B as one drop, whether B
follows A in time (a daily drop: facts are added) or their sessions interleave (facts recomputed), and a
period re-sent after B changes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from graph.driver import Graph
from graph.ingest import IngestResult
from graph.ingest.simhash import hex_to_u64
from graph.ingest.templates import ExistingTemplates, plan_templates
from graph.scenarios import generate_drop, preset
from tests.conftest import wipe_graph
from tests.integration.ingest import drops
from tests.integration.ingest.drops import small_drop, snapshot

pytestmark = pytest.mark.integration
Ingest = Callable[..., IngestResult]
FILES = ("accounts", "billing", "sessions", "exchanges", "model_releases")
RARE_TEMPLATE = 20  # exchanges: a template this rare could be split into single sightings (see below)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """A generated drop as string frames, with each template's near-duplicate forms replaced by its most frequent
    one and the forms of rare templates by unique prompts. How forms join templates across drops is not what is
    compared here (tests of template grouping do that), and it legitimately depends on the cut: a form seen once
    in A, 3 bits from a form seen only in B, is not remembered (graph/model.md) but joins when A and B are one."""
    out = tmp_path_factory.mktemp("world")
    generate_drop(out, preset("test"), seed=21)
    frames = {n: pd.read_csv(out / f"{n}.csv", dtype=str, keep_default_na=False) for n in FILES}
    exchanges = frames["exchanges"]
    fps = hex_to_u64(exchanges["prompt_fingerprint"].to_numpy().astype("S16"))
    distinct, inverse, counts = np.unique(fps, return_inverse=True, return_counts=True)
    plan = plan_templates(distinct, counts.astype(np.int64), ExistingTemplates.empty())
    representative = {t.template_id: t.representative for t in plan.new}
    template = plan.lookup_index(distinct)
    per_template = np.bincount(template[template >= 0], weights=counts[template >= 0], minlength=len(plan.names))
    rare = (template >= 0) & (per_template[np.maximum(template, 0)] < RARE_TEMPLATE)
    form = distinct.copy()
    common = (template >= 0) & ~rare
    form[common] = [representative[plan.names[i]] for i in template[common].tolist()]
    per_row = form[inverse]
    unique = rare[inverse]  # each exchange of a rare template gets a prompt of its own
    per_row[unique] = np.random.default_rng(5).integers(0, 2**63, size=int(unique.sum())).astype(np.uint64)
    exchanges["prompt_fingerprint"] = [f"{v:016x}" for v in per_row.tolist()]
    assert common.sum() > rare.sum() > 0  # both kinds are present
    return frames


def _history(world: dict[str, pd.DataFrame]) -> pd.Series:
    """Sessions that hold at least two exchanges of every template: ingested first, so every template is known
    before the drops compared (a new group needs two exchanges in one drop to become a template; a known one is
    joined by a single exchange, which is what a split must not change)."""
    exchanges = world["exchanges"]
    chosen: set[str] = set()
    counts = exchanges.groupby(["prompt_fingerprint", "session_id"]).size().reset_index(name="n")
    repeated = counts.groupby("prompt_fingerprint")["n"].transform("sum") >= 2
    for _, group in counts[repeated].sort_values("n", ascending=False).groupby("prompt_fingerprint"):
        taken = group[group["session_id"].isin(chosen)]["n"].sum()
        for session, n in zip(group["session_id"], group["n"], strict=True):
            if taken >= 2:
                break
            if session not in chosen:
                chosen.add(session)
                taken += n
    return world["sessions"]["session_id"][world["sessions"]["session_id"].isin(chosen)]


def _write(path: Path, frames: dict[str, pd.DataFrame], sessions: pd.Series) -> Path:
    """A drop holding the whole account base and the given sessions with their exchanges."""
    path.mkdir(parents=True)
    for name in FILES:
        frame = frames[name]
        if name == "sessions":
            frame = frame[frame["session_id"].isin(sessions)]
        elif name == "exchanges":
            frame = frame[frame["session_id"].isin(sessions)]
        frame.to_csv(path / f"{name}.csv", index=False)
    return path


def normalised(graph: Graph) -> list[str]:
    """The snapshot without what legitimately depends on how the drops were cut: the Drop nodes and `as_of`
    (which drop last wrote a record), and template ids (a template is named after the most frequent form of the
    drop it first appeared in): a template is named here by its smallest member, and each session's parallel
    template lists are ordered by that name."""
    canonical = {
        r["id"]: f"tpl:{r['key']}"
        for r in graph.auto("tpl", "MATCH (t:PromptTemplate) RETURN t.template_id AS id, reduce(m = null, x IN "
                                   "t.members | CASE WHEN m IS NULL OR x < m THEN x ELSE m END) AS key")
    }  # fmt: skip
    lines = []
    for line in snapshot(graph):
        item = json.loads(line)
        props = item.get("props", {})
        props.pop("as_of", None)
        labels = item.get("labels", [])
        if "Drop" in labels:
            continue
        if "PromptTemplate" in labels:
            props["template_id"] = canonical[props["template_id"]]
            props.pop("fingerprint")
        if "Session" in labels and props.get("templates"):
            keys = ("templates", "template_exchanges", "template_first", "template_last")
            props["templates"] = [canonical[t] for t in props["templates"]]
            rows = sorted(zip(*(props[k] for k in keys), strict=True))
            for i, k in enumerate(keys):
                props[k] = [r[i] for r in rows]
        for end in ("ka", "kb"):
            if item.get(end) in canonical:
                item[end] = canonical[item[end]]
        lines.append(json.dumps(item, sort_keys=True, default=str))
    return sorted(lines)


def _quantiles(times: pd.Series, *shares: float) -> list[pd.Timestamp]:
    """The times that many shares of the sessions started before."""
    ordered = times.sort_values().tolist()
    return [ordered[int(share * (len(ordered) - 1))] for share in shares]


def _together(ingest: Ingest, graph: Graph, history: Path, whole: Path) -> list[str]:
    wipe_graph(graph)
    ingest(history)
    ingest(whole)
    return normalised(graph)


def test_a_daily_drop_adds_its_facts_to_the_graphs(
    ingest: Ingest, clean_graph: Graph, tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    known = _history(world)
    history = _write(tmp_path / "history", world, known)
    sessions = world["sessions"][~world["sessions"]["session_id"].isin(known)]
    starts = pd.to_datetime(sessions["started_at"])
    for k, cut in enumerate(_quantiles(starts, 0.3, 0.7)):
        a = _write(tmp_path / f"a{k}", world, sessions.loc[starts < cut, "session_id"])
        b = _write(tmp_path / f"b{k}", world, sessions.loc[starts >= cut, "session_id"])
        wipe_graph(clean_graph)
        ingest(history)
        ingest(a)
        result = ingest(b)
        # the next day's facts are added: only accounts whose new hours reach back behind their last one
        # (a session of the day before still running past the cut) are recomputed from their sessions
        assert result.recomputed_accounts < 0.1 * sessions["account_id"].nunique()
        # the account table is re-sent unchanged: not one account is written again
        assert "accounts" not in result.rows_written
        assert result.rows_written["accounts:unchanged"] == len(world["accounts"])
        incremental = normalised(clean_graph)
        together = _write(tmp_path / f"ab{k}", world, sessions["session_id"])
        assert incremental == _together(ingest, clean_graph, history, together), f"cut {k}"


def test_interleaved_drops_and_a_resent_period_give_the_graph_of_both_at_once(
    ingest: Ingest, clean_graph: Graph, tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    known = _history(world)
    history = _write(tmp_path / "history", world, known)
    sessions = world["sessions"]["session_id"][~world["sessions"]["session_id"].isin(known)]
    together = _together(ingest, clean_graph, history, _write(tmp_path / "ab", world, sessions))
    for seed in (1, 2):
        in_a = np.random.default_rng(seed).random(len(sessions)) < 0.5
        a = _write(tmp_path / f"a{seed}", world, sessions[in_a])
        b = _write(tmp_path / f"b{seed}", world, sessions[~in_a])
        wipe_graph(clean_graph)
        ingest(history)
        ingest(a)
        ingest(b)
        assert normalised(clean_graph) == together, f"A then B (split {seed})"
        resent = ingest(a)
        assert resent.recomputed_accounts > 0
        assert normalised(clean_graph) == together, f"A then B then A again (split {seed})"
    marked = clean_graph.auto("marked", "MATCH (a:Recompute) RETURN count(a) AS n")[0]["n"]
    assert marked == 0


def _facts(graph: Graph) -> dict[str, Any]:
    return {
        r["id"]: r
        for r in graph.auto("facts", "MATCH (a:Account) RETURN a.account_id AS id, a.exchanges AS n, "
                                     "a.cap_counts AS caps, a.hours AS hours, a.first_seen AS first, "
                                     "a.last_seen AS last")
    }  # fmt: skip


def test_an_out_of_order_drop_is_recomputed_not_added(
    ingest: Ingest, clean_graph: Graph, tmp_path: Path, world: dict[str, pd.DataFrame]
) -> None:
    sessions = world["sessions"]
    starts = pd.to_datetime(sessions["started_at"])
    (cut,) = _quantiles(starts, 0.5)
    late = _write(tmp_path / "late", world, sessions.loc[starts >= cut, "session_id"])
    early = _write(tmp_path / "early", world, sessions.loc[starts < cut, "session_id"])
    ingest(late)
    result = ingest(early)  # yesterday's drop arrives after today's: its hours precede the accounts' last hour
    assert result.recomputed_accounts > 0
    out_of_order = _facts(clean_graph)
    wipe_graph(clean_graph)
    ingest(_write(tmp_path / "all", world, sessions["session_id"]))
    assert out_of_order == _facts(clean_graph)


def test_a_next_drop_starting_in_the_accounts_last_hour_is_added(
    ingest: Ingest, clean_graph: Graph, tmp_path: Path
) -> None:
    """The hand-written small drop, then a drop whose session starts in the hour of acct_1's last exchange."""
    day1 = small_drop(tmp_path / "day1")
    session = {**drops.SESSIONS[0], "session_id": "sess_9", "started_at": "2026-09-01T12:08:00Z",
               "ended_at": "2026-09-01T13:10:00Z"}  # fmt: skip
    exchanges = [
        {**drops.EXCHANGES[2], "exchange_id": f"ex_9{i}", "session_id": "sess_9", "ts": ts}
        for i, ts in enumerate(("2026-09-01T12:09:00Z", "2026-09-01T12:30:00Z", "2026-09-01T13:05:00Z"))
    ]
    day2 = small_drop(tmp_path / "day2", sessions=[session], exchanges=exchanges)
    ingest(day1)
    assert ingest(day2).recomputed_accounts == 0
    hours = clean_graph.auto("h", "MATCH (a:Account {account_id: 'acct_1'}) RETURN a.hours AS h, a.hour_counts AS n")
    added = normalised(clean_graph)
    wipe_graph(clean_graph)
    ingest(small_drop(tmp_path / "both", sessions=[*drops.SESSIONS, session], exchanges=[*drops.EXCHANGES, *exchanges]))
    assert added == normalised(clean_graph)
    assert hours[0]["n"] == [2, 2, 3, 1]  # hours 08 and 09: 2 each; 12: 1 of day 1 and 2 of day 2; 13: 1
