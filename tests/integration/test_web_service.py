"""The web app as `make up` starts it (deploy/web.sh): DEBUG off, so a 404 shows no URL map and an error no
traceback, while the static files are still served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_web_service_runs_with_debug_off(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "VAR_DIR": str(tmp_path), "WEB_PORT": str(port),
           "DJANGO_SETTINGS_MODULE": "investigations.settings.dev"}  # fmt: skip
    env.pop("DEBUG", None)
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=300)
    subprocess.run(["bash", "deploy/web.sh", "start"], cwd=ROOT, env=env, check=True, timeout=120)
    try:
        status, body = _get(f"http://127.0.0.1:{port}/no-such-page/")
        assert status == 404 and "URLconf" not in body and "no-such-page" not in body
        status, _ = _get(f"http://127.0.0.1:{port}/static/frontend/app.css")
        assert status == 200
        # the explorer's bundle, built by the set-up from the npm lock file, and its layout worker
        for bundle in ("explorer.js", "layout-worker.js"):
            status, body = _get(f"http://127.0.0.1:{port}/static/frontend/dist/{bundle}")
            assert status == 200 and len(body) > 1000, bundle
    finally:
        subprocess.run(["bash", "deploy/web.sh", "stop"], cwd=ROOT, env=env, check=False, timeout=60)
