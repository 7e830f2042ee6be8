"""Wall-clock timing of a block of code, the one way every stage and query records how long it took."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager


@contextmanager
def timed(into: MutableMapping[str, float] | Callable[[float], object], name: str = "", digits: int = 3) -> Iterator[None]:
    """Time the block: its wall seconds go to `into[name]` (rounded to `digits`), or are passed to `into`."""
    started = time.perf_counter()
    try:
        yield
    finally:
        seconds = time.perf_counter() - started
        if callable(into):
            into(seconds)
        else:
            into[name] = round(seconds, digits)
