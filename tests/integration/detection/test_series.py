"""Detection after every drop of a series: cases opened on the first day's flagged clusters are alerted when
hydra replacements start working, in the first run after their first exchange, and every flagged account has
its time-to-detect."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from graph.detection.params import DetectionParams
from graph.detection.timeliness import hydra_replacements
from graph.driver import Graph
from graph.ingest import run_ingest
from graph.scenarios import preset
from graph.scenarios.series import SeriesSummary, generate_series
from investigations.models import CaseAlert, ClusterMember, DetectionRun, FirstFlag
from investigations.services.cases import open_case
from investigations.services.detection import execute_detection

pytestmark = pytest.mark.integration
PERIODS, DAYS, SEED = 4, 3, 3


def _read(series: SeriesSummary, k: int, name: str) -> pd.DataFrame:
    return pd.read_csv(series.drops[k].out_dir / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.mark.django_db(transaction=True)
def test_replacements_are_flagged_and_alert_the_case_in_the_first_run_after_they_start(
    clean_graph: Graph, case_manager: User, tmp_path: Path
) -> None:
    series = generate_series(tmp_path / "series", preset("test"), periods=PERIODS, period_days=DAYS, seed=SEED)
    runs: list[DetectionRun] = []
    case_ids: list[int] = []
    checked = 0
    for k, drop in enumerate(series.drops):
        run_ingest(drop.out_dir, clean_graph, work_dir=tmp_path / f"work-{k}", quarantine_path=tmp_path / "q.csv")
        run = execute_detection(DetectionRun.objects.create(params=DetectionParams().to_dict()))
        runs.append(run)
        # the run saw the data up to the latest time in the newest drop (a session started before the period's end
        # brings its last exchanges with it)
        assert run.data_as_of is not None
        assert pd.Timestamp(drop.start) <= pd.Timestamp(run.data_as_of) < pd.Timestamp(drop.end) + pd.Timedelta("1D")
        if k == 0:
            flagged = list(run.clusters.filter(flagged=True))
            assert flagged
            case_ids = [open_case(by=case_manager, clusters=[c], title=f"Campaign {c.key}").pk for c in flagged]
            continue
        watched = set(
            ClusterMember.objects.filter(cluster__run=runs[k - 1], cluster__flagged=True).values_list(
                "account_id", flat=True
            )
        )
        # hydra replacements read from the data as a provider sees it (the generator's own parent links unused):
        # new accounts on the device or a card of a watched account banned by now, which started in this period
        labels = _read(series, k, "labels")
        active = set(labels.loc[labels["first_activity"] != "", "account_id"])
        replacements = hydra_replacements(series.drops[k - 1].out_dir, drop.out_dir, watched) & active
        alerted = {
            a for ids in CaseAlert.objects.filter(run=run, case_id__in=case_ids).values_list("account_ids", flat=True)
            for a in ids
        }  # fmt: skip
        first = dict(FirstFlag.objects.filter(account_id__in=replacements).values_list("account_id", "run_id"))
        assert {a: first.get(a) for a in replacements} == {a: run.pk for a in replacements}, f"drop {k + 1}"
        assert replacements <= alerted, f"drop {k + 1}"
        checked += len(replacements)
    assert checked >= 3, "the series holds hydra replacements of flagged clusters"
    # every flagged account's first exchange, if it had one, came before the data the run saw
    flags = list(FirstFlag.objects.all())
    assert sum(1 for f in flags if f.first_seen is not None) > len(flags) / 2
    assert all(f.data_as_of is not None and (f.first_seen is None or f.first_seen <= f.data_as_of) for f in flags)
    out = io.StringIO()
    call_command("evaluate", "--labels", str(series.drops[-1].out_dir / "labels.csv"), stdout=out)
    text = out.getvalue()
    assert "time to detect" in text
    campaigns = sorted(set(_read(series, PERIODS - 1, "labels")["campaign"]) - {""})
    assert all(any(line.split()[:1] == [c] for line in text.splitlines()) for c in campaigns)
