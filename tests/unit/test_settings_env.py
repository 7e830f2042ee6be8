"""Settings read from the environment: a missing required one stops start-up naming it."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from investigations.settings.env import env_bool, env_int, env_list, env_str


def test_env_str_names_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HYDRA_TEST_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="HYDRA_TEST_REQUIRED"):
        env_str("HYDRA_TEST_REQUIRED")


def test_env_readers_parse_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYDRA_B", "yes")
    monkeypatch.setenv("HYDRA_I", "42")
    monkeypatch.setenv("HYDRA_L", "a, b,,c")
    assert env_bool("HYDRA_B", False) is True
    assert env_int("HYDRA_I", 0) == 42
    assert env_list("HYDRA_L", "") == ["a", "b", "c"]
    monkeypatch.setenv("HYDRA_I", "forty")
    with pytest.raises(ImproperlyConfigured, match="HYDRA_I"):
        env_int("HYDRA_I", 0)


def test_env_list_without_default_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HYDRA_HOSTS", raising=False)
    with pytest.raises(ImproperlyConfigured, match="HYDRA_HOSTS"):
        env_list("HYDRA_HOSTS")
    monkeypatch.setenv("HYDRA_HOSTS", " , ")
    with pytest.raises(ImproperlyConfigured, match="HYDRA_HOSTS"):
        env_list("HYDRA_HOSTS")
    monkeypatch.setenv("HYDRA_HOSTS", "hydra.example.com")
    assert env_list("HYDRA_HOSTS") == ["hydra.example.com"]
