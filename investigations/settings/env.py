"""Typed readers for settings taken from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str | None = None) -> str:
    """Return the variable `name`; without a default a missing one stops start-up naming it."""
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise ImproperlyConfigured(f"The environment variable {name} is required but not set.")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean variable (1/true/yes/on are true)."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    """Return an integer variable, naming it if it is not a number."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"The environment variable {name} must be an integer, got {value!r}.") from exc


def env_list(name: str, default: str | None = None) -> list[str]:
    """Return a comma-separated list variable; without a default a missing or empty one stops start-up."""
    items = [item.strip() for item in env_str(name, default).split(",") if item.strip()]
    if not items and default is None:
        raise ImproperlyConfigured(f"The environment variable {name} is required but lists nothing.")
    return items
