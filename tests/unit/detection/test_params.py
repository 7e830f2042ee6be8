"""Detection parameters from people (API, `detect --params`): every wrong name or type is a ValueError naming
the field, before a run is queued; right values of JSON's types are taken."""

from __future__ import annotations

import re
from typing import Any

import pytest

from graph.detection.params import DetectionParams
from graph.detection.scoring import SIGNALS


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"bogus": 1}, "bogus"),
        ({"kinds": {"ip": {"bogus": 1}}}, "kinds.ip:"),
        ({"kinds": {"nope": {"weight": 1}}}, "nope"),
        ({"kinds": ["ip"]}, "kinds:"),
        ({"kinds": {"ip": 3}}, "kinds.ip:"),
        ({"kinds": {"ip": {"expand_cap": 2.5}}}, "kinds.ip.expand_cap:"),
        ({"lsh_kinds": 5}, "lsh_kinds:"),
        ({"lsh_kinds": ["template", 7]}, "lsh_kinds[1]:"),
        ({"family_evidence": {"content": 5}}, "family_evidence.content:"),
        ({"family_evidence": {"content": [2]}}, "family_evidence.content:"),
        ({"min_cluster_size": "three"}, "min_cluster_size:"),
        ({"leiden_gamma": True}, "leiden_gamma:"),
        ({"standalone_families": {"payment": "yes"}}, "standalone_families.payment:"),
        ({"signals": {"nope": {"weight": 1}}}, "nope"),
        ({"signals": {"bans": {"slope": 1}}}, "signals.bans:"),
        ({"signals": {"bans": {"weight": "high"}}}, "signals.bans.weight:"),
        ({"group_caps": {"infrastructure": "all"}}, "group_caps.infrastructure:"),
    ],
)
def test_wrong_names_and_types_are_refused_naming_the_field(bad: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=re.escape(named)):
        DetectionParams.from_dict(bad)


def test_json_values_are_taken_as_the_field_types() -> None:
    params = DetectionParams.from_dict(
        {"leiden_gamma": 2, "lsh_kinds": ["template"], "family_evidence": {"content": [3, 0.5]},
         "kinds": {"ip": {"weight": 1, "expand_cap": 10}}, "signature_min_members": {"device": 4}}
    )  # fmt: skip
    assert params.leiden_gamma == 2.0 and isinstance(params.leiden_gamma, float)
    assert params.lsh_kinds == ("template",) and params.family_evidence == {"content": (3, 0.5)}
    assert params.kinds["ip"].weight == 1.0 and params.kinds["ip"].expand_cap == 10
    assert params.kinds["device"] == DetectionParams().kinds["device"]
    assert params.signature_min_members == {"device": 4}
    assert DetectionParams.from_dict(params.to_dict()) == params
    tuned = DetectionParams.from_dict({"signals": {"private_templates": {"weight": 0.2, "high": 1}}})
    assert tuned.signals["private_templates"].weight == 0.2 and tuned.signals["private_templates"].high == 1.0
    assert tuned.signals["private_templates"].low == DetectionParams().signals["private_templates"].low
    assert tuned.signals["bans"] == DetectionParams().signals["bans"]
    assert DetectionParams.from_dict(tuned.to_dict()) == tuned


def test_every_scored_signal_takes_its_weight_and_ramp_from_the_params() -> None:
    """The README's claim, checked: a signal's weight and ramp are `DetectionParams.signals` rows, and the windows
    the features read (bursts, replacements, quiet hours, synchronised hours) are fields too."""
    assert {s.name for s in SIGNALS} == set(DetectionParams().signals)
    fields = set(DetectionParams().to_dict())
    assert {"burst_window_hours", "replacement_window_hours", "quiet_hours", "hours_window_days"} <= fields
