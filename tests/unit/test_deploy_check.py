"""`manage.py check --deploy` under the production settings, with the environment a deployment sets: no issues."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the deploy check in a fresh interpreter (settings are read once per process)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_", "DEBUG"))}
    base.update(
        DJANGO_SETTINGS_MODULE="investigations.settings.production",
        VAR_DIR=str(tmp_path),
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="hydra.example.org",
        NEO4J_PASSWORD="a-real-neo4j-password",
    )
    base.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=base, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_check_deploy_is_clean_under_production_settings(tmp_path: Path) -> None:
    done = deploy_check(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_fails_when_https_is_switched_off(tmp_path: Path) -> None:
    # The check really looks: without the HTTPS redirect and HSTS it reports both.
    done = deploy_check(tmp_path, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    assert done.returncode != 0
    assert "security.W008" in done.stderr + done.stdout and "security.W004" in done.stderr + done.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="investigations.settings.production", VAR_DIR=str(tmp_path),
               ALLOWED_HOSTS="hydra.example.org", NEO4J_PASSWORD="a-real-neo4j-password")  # fmt: skip
    env.pop("SECRET_KEY", None)
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
