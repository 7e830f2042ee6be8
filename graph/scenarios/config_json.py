"""Scenario configuration as JSON: overlay a (partial) JSON object on a base configuration."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from graph.jsontypes import coerce
from graph.scenarios.config import Campaign, ScenarioConfig, validate_config


def config_to_dict(config: ScenarioConfig) -> dict[str, Any]:
    """Plain JSON-ready dictionary of a configuration."""
    return dataclasses.asdict(config)


def config_from_dict(data: dict[str, Any], base: ScenarioConfig) -> ScenarioConfig:
    """Overlay a (partial) JSON dictionary on ``base``. Nested objects merge into the base; the
    ``campaigns`` list replaces the base's campaigns, an item whose ``name`` matches a base
    campaign starting from that campaign (others must be complete); other lists replace."""
    config = _overlay(ScenarioConfig, base, data, "scenario")
    validate_config(config)
    return config


def _overlay(tp: Any, base: Any, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object")
    hints = typing.get_type_hints(tp)
    names = {f.name for f in dataclasses.fields(tp)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}")
    changes = {}
    for key, value in data.items():
        hint = hints[key]
        current = getattr(base, key) if base is not None else None
        if dataclasses.is_dataclass(hint) and current is not None:
            changes[key] = _overlay(hint, current, value, f"{where}.{key}")
        elif key == "campaigns" and isinstance(value, list):
            changes[key] = _overlay_campaigns(current or (), value, f"{where}.{key}")
        else:
            changes[key] = _coerce(hint, value, f"{where}.{key}")
    if base is None:
        try:
            return tp(**changes)
        except TypeError as exc:  # a missing required field
            raise ValueError(f"{where}: {exc}") from exc
    return dataclasses.replace(base, **changes)


def _overlay_campaigns(base: tuple[Campaign, ...], items: list[Any], where: str) -> tuple[Campaign, ...]:
    """The list replaces the campaigns; an item naming an existing campaign starts from it."""
    by_name = {c.name: c for c in base}
    out = []
    for i, item in enumerate(items):
        start = by_name.get(str(item.get("name"))) if isinstance(item, dict) else None
        out.append(_overlay(Campaign, start, item, f"{where}[{i}]"))
    return tuple(out)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    return coerce(hint, value, where, nested=lambda tp, v, w: _overlay(tp, None, v, w))
