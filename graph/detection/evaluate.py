"""Score a detection run against a scenario's labels: precision, recall, F1, per campaign and per population.

Only this module reads labels, and detection never imports it. An account counts as flagged when it is a
member of a flagged cluster; accounts in no cluster are not flagged.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class MemberRow:
    """One account's membership in a cluster of the evaluated run."""

    account_id: str
    cluster_key: str
    score: float
    flagged: bool


@dataclass(frozen=True)
class CampaignResult:
    """How one campaign was found."""

    accounts: int
    flagged: int
    recall: float
    best_cluster: str | None
    best_rank: int | None
    best_cluster_size: int
    best_cluster_purity: float
    clusters: int


@dataclass(frozen=True)
class LegitLeader:
    """The highest-ranked cluster whose members are mostly legitimate (more than half without a campaign label)."""

    cluster: str
    rank: int
    score: float
    size: int
    legitimate_share: float


@dataclass(frozen=True)
class Evaluation:
    """Account-level quality of one run against labels, plus analyst feedback counts."""

    accounts: int
    campaign_accounts: int
    flagged_accounts: int
    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float
    campaigns: dict[str, CampaignResult]
    population_fpr: dict[str, float]
    population_accounts: dict[str, int]
    flagged_clusters: int
    clusters: int
    feedback: dict[str, int] = field(default_factory=dict)
    top_legit_cluster: LegitLeader | None = None
    ranks_ok: bool = True
    """No mostly-legitimate cluster ranks above any campaign's best cluster (and every campaign has one)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)

    def to_text(self) -> str:
        """A human report."""
        lines = [
            f"accounts labelled: {self.accounts}  campaign accounts: {self.campaign_accounts}  "
            f"flagged: {self.flagged_accounts} in {self.flagged_clusters} of {self.clusters} clusters",
            f"precision {self.precision:.4f}  recall {self.recall:.4f}  F1 {self.f1:.4f}  "
            f"(TP {self.true_positives}, FP {self.false_positives}, FN {self.false_negatives})",
            "campaigns:",
        ]
        for name, c in sorted(self.campaigns.items()):
            lines.append(
                f"  {name:<20} recall {c.recall:.4f} ({c.flagged}/{c.accounts})  best cluster "
                f"{c.best_cluster or '-'} rank {c.best_rank if c.best_rank is not None else '-'} "
                f"size {c.best_cluster_size} purity {c.best_cluster_purity:.2f}  in {c.clusters} clusters"
            )
        lead = self.top_legit_cluster
        lines.append(
            ("rank check: passed" if self.ranks_ok else "rank check: FAILED, a mostly-legitimate cluster ranks above a "
             "campaign's best cluster")
            + (f" (highest mostly-legitimate cluster {lead.cluster} rank {lead.rank}, score {lead.score:.3f}, "
               f"size {lead.size}, {100 * lead.legitimate_share:.0f}% legitimate)" if lead else "")
        )  # fmt: skip
        if self.population_fpr:
            lines.append("false-positive rate per legitimate population:")
            for name, rate in sorted(self.population_fpr.items()):
                lines.append(f"  {name:<20} {rate:.4f} of {self.population_accounts[name]}")
        if self.feedback:
            lines.append("analyst feedback: " + ", ".join(f"{k} {v}" for k, v in sorted(self.feedback.items())))
        return "\n".join(lines)


def read_labels(path: Path) -> pd.DataFrame:
    """The labels file (CSV, gzip CSV or Parquet): account_id, campaign (empty = legitimate), optional population."""
    path = Path(path)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path).fillna("")
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "account_id" not in frame.columns or "campaign" not in frame.columns:
        raise ValueError(f"{path}: a labels file needs the columns account_id and campaign")
    frame["account_id"] = frame["account_id"].astype(str)
    frame["campaign"] = frame["campaign"].fillna("").astype(str)
    if "population" in frame.columns:
        frame["population"] = frame["population"].fillna("").astype(str)
    return frame


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def evaluate(labels: pd.DataFrame, members: Sequence[MemberRow], feedback: dict[str, int] | None = None) -> Evaluation:
    """Compare the flagged accounts of a run with the labels."""
    cluster_of = {m.account_id: m for m in members}
    flagged_ids = {m.account_id for m in members if m.flagged}
    clusters: dict[str, tuple[float, int]] = {}
    sizes: Counter[str] = Counter(m.cluster_key for m in members)
    for m in members:
        clusters[m.cluster_key] = (m.score, sizes[m.cluster_key])
    ranking = sorted(clusters, key=lambda k: (-clusters[k][0], -clusters[k][1], k))
    rank_of = {k: i + 1 for i, k in enumerate(ranking)}

    campaign_of = dict(zip(labels["account_id"], labels["campaign"], strict=True))
    is_campaign = labels["campaign"] != ""
    positives = set(labels.loc[is_campaign, "account_id"])
    tp = len(positives & flagged_ids)
    fp = len(flagged_ids - positives)
    fn = len(positives - flagged_ids)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = _ratio(2 * precision * recall, precision + recall)

    by_cluster: dict[str, Counter[str]] = defaultdict(Counter)
    for m in members:
        by_cluster[m.cluster_key][campaign_of.get(m.account_id, "")] += 1

    campaigns: dict[str, CampaignResult] = {}
    for name, group in labels[is_campaign].groupby("campaign"):
        ids = set(group["account_id"])
        in_clusters = {cluster_of[a].cluster_key for a in ids if a in cluster_of}
        majority = [k for k in in_clusters if by_cluster[k][str(name)] * 2 > sizes[k]]
        candidates = majority or sorted(in_clusters, key=lambda k: -by_cluster[k][str(name)])[:1]
        best = min(candidates, key=lambda k: rank_of[k]) if candidates else None
        campaigns[str(name)] = CampaignResult(
            accounts=len(ids),
            flagged=len(ids & flagged_ids),
            recall=_ratio(len(ids & flagged_ids), len(ids)),
            best_cluster=best,
            best_rank=rank_of[best] if best else None,
            best_cluster_size=sizes[best] if best else 0,
            best_cluster_purity=_ratio(by_cluster[best][str(name)], sizes[best]) if best else 0.0,
            clusters=len(in_clusters),
        )

    population_fpr: dict[str, float] = {}
    population_accounts: dict[str, int] = {}
    if "population" in labels.columns:
        legit = labels[~is_campaign]
        for name, group in legit.groupby("population"):
            ids = set(group["account_id"])
            population_accounts[str(name) or "unlabelled"] = len(ids)
            population_fpr[str(name) or "unlabelled"] = _ratio(len(ids & flagged_ids), len(ids))

    flagged_clusters = len({m.cluster_key for m in members if m.flagged})
    leader = _top_legit_cluster(ranking, by_cluster, sizes, clusters)
    best_ranks = [c.best_rank for c in campaigns.values()]
    ranks_ok = all(r is not None and (leader is None or r < leader.rank) for r in best_ranks)
    return Evaluation(
        accounts=len(labels),
        campaign_accounts=len(positives),
        flagged_accounts=len(flagged_ids),
        true_positives=tp,
        false_positives=fp,
        false_negatives=fn,
        precision=round(precision, 6),
        recall=round(recall, 6),
        f1=round(f1, 6),
        campaigns=campaigns,
        population_fpr={k: round(v, 6) for k, v in population_fpr.items()},
        population_accounts=population_accounts,
        flagged_clusters=flagged_clusters,
        clusters=len(clusters),
        feedback=dict(feedback or {}),
        top_legit_cluster=leader,
        ranks_ok=ranks_ok,
    )


def _top_legit_cluster(
    ranking: list[str], by_cluster: dict[str, Counter[str]], sizes: Counter[str], clusters: dict[str, tuple[float, int]]
) -> LegitLeader | None:
    """The best-ranked cluster with more than half of its members legitimate (no campaign label)."""
    for rank, key in enumerate(ranking, start=1):
        legit = by_cluster[key][""]
        if legit * 2 > sizes[key]:
            return LegitLeader(key, rank, clusters[key][0], sizes[key], round(legit / sizes[key], 4))
    return None
