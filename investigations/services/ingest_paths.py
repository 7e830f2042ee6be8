"""Which folders ingest may read: INGEST_ROOT and the drops under it, resolved, and refused when they lead outside
it."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from graph.drop import FILES, FORMATS


class PathRefused(ValueError):
    """A drop or schedule path outside INGEST_ROOT, or one that does not exist."""


def ingest_root() -> Path:
    """The folder every scheduled or hand-started drop must live under, resolved."""
    return Path(settings.INGEST_ROOT).resolve()


def resolve_drop_path(value: str | Path, *, within_root: bool = True) -> Path:
    """An existing directory, resolved; with `within_root`, it must lie under INGEST_ROOT (relative paths are
    taken from there), without `..` and without a symlink leading out of it, for the folder or any of its
    contract files."""
    raw = Path(str(value).strip())
    if not str(value).strip():
        raise PathRefused("no path given")
    if within_root:
        if ".." in raw.parts:
            raise PathRefused(f"{value}: '..' is not allowed")
        root = ingest_root()
        candidate = raw if raw.is_absolute() else root / raw
        resolved = candidate.resolve()
        if not resolved.is_relative_to(root):
            raise PathRefused(f"{value}: outside INGEST_ROOT ({root})")
    else:
        resolved = raw.resolve()
    if not resolved.is_dir():
        raise PathRefused(f"{value}: not an existing directory")
    if within_root:
        for name in FILES:
            for ext in FORMATS:
                file = resolved / f"{name}{ext}"
                if file.is_symlink() and not file.resolve().is_relative_to(root):
                    raise PathRefused(f"{value}: {file.name} is a symlink leading outside INGEST_ROOT ({root})")
    return resolved


def relative_to_root(path: Path) -> str:
    """How a path under INGEST_ROOT is shown and stored on a schedule."""
    rel = path.relative_to(ingest_root())
    return "." if str(rel) == "." else str(rel)
