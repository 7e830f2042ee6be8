"""JSON values as the declared types of dataclass fields, with errors naming the field: one rule for every
configuration people type (scenario JSON, detection parameters)."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any

Nested = Callable[[Any, Any, str], Any]


def coerce(hint: Any, value: Any, where: str, *, nested: Nested | None = None) -> Any:
    """`value` (from JSON) as type `hint`, or a ValueError starting with `where`. JSON lists become tuples
    (`tuple[T, ...]` or a fixed `tuple[A, B]`), objects typed dicts, whole numbers ints; a dataclass hint is
    handed to `nested(hint, value, where)`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint) and nested is not None:
        return nested(hint, value, where)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        return coerce(next(a for a in args if a is not type(None)), value, where, nested=nested)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(coerce(args[0], v, f"{where}[{i}]", nested=nested) for i, v in enumerate(value))
        if len(value) != len(args):
            raise ValueError(f"{where}: expected a list of {len(args)} values")
        return tuple(coerce(a, v, f"{where}[{i}]", nested=nested) for i, (a, v) in enumerate(zip(args, value, strict=True)))
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where}: expected an object")
        return {str(k): coerce(args[1], v, f"{where}.{k}", nested=nested) for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{where}: expected true or false")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{where}: expected a number")
        if hint is int and float(value) != int(value):
            raise ValueError(f"{where}: expected an integer")
        return hint(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"{where}: expected a string")
        return value
    raise ValueError(f"{where}: unsupported type {hint!r}")
