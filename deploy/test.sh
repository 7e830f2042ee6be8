#!/usr/bin/env bash
# The test command: install what is needed, start the services the tests use (Neo4j with GDS, Redis and
# PostgreSQL, on their own ports and data folder so a running demo is never touched), run ruff, mypy and the
# whole pytest suite against them (on SQLite), then the Django side of it again on PostgreSQL with the
# production worker's two processes, and stop what this script started. The Celery worker processes and the
# live web server are started by the test fixtures themselves. Arguments go to the first pytest run; with
# arguments the PostgreSQL pass is left out unless TEST_POSTGRES=1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export VAR_DIR="${TEST_VAR_DIR:-$ROOT/var/test}"
export NEO4J_BOLT_PORT="${TEST_NEO4J_BOLT_PORT:-7688}"
export NEO4J_URI="bolt://127.0.0.1:$NEO4J_BOLT_PORT"
export NEO4J_HEAP="${NEO4J_HEAP:-2g}" NEO4J_PAGECACHE="${NEO4J_PAGECACHE:-1g}"
export REDIS_PORT="${TEST_REDIS_PORT:-6380}"
export PG_PORT="${TEST_PG_PORT:-5433}"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CELERY_BROKER_URL="$REDIS_URL" CELERY_RESULT_BACKEND="$REDIS_URL" CACHE_URL="$REDIS_URL"  # nothing from the caller's environment
export DJANGO_SETTINGS_MODULE=investigations.settings.test
mkdir -p "$VAR_DIR" "$ROOT/test-artifacts"

started=()
cleanup() {
  local rc=$?
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    "$ROOT/deploy/${started[i]}.sh" stop || true
  done
  exit "$rc"
}
trap cleanup EXIT

t0=$(date +%s)
"$ROOT/deploy/bootstrap.sh"
for svc in redis neo4j postgres; do
  if ! "$ROOT/deploy/$svc.sh" status >/dev/null 2>&1; then
    started+=("$svc")
  fi
  "$ROOT/deploy/$svc.sh" start
done
echo "[test] services ready after $(($(date +%s) - t0)) s"

echo "[test] ruff"
.venv/bin/ruff check .
echo "[test] import-linter (frontend -> investigations -> graph; graph/ without Django)"
.venv/bin/lint-imports --no-cache
echo "[test] mypy"
.venv/bin/mypy graph investigations frontend bench tests
echo "[test] pytest"
.venv/bin/python -m pytest -p no:cacheprovider "$@"
# The Django side on PostgreSQL (what production runs): cases and the audit log's triggers, roles and tokens, the
# API, ingest jobs and schedules through a worker with production's two processes.
PG_TESTS=(tests/integration/cases tests/integration/test_admin_site.py tests/integration/test_api_tokens.py
  tests/integration/test_auth_roles.py tests/integration/test_latest_run.py tests/integration/ui/test_role_matrix.py
  tests/integration/ui/test_api.py tests/integration/ui/test_explorer_api.py tests/integration/ingest/test_jobs.py
  tests/integration/partners)
if (($# == 0)) || [[ "${TEST_POSTGRES:-}" == 1 ]]; then
  echo "[test] pytest on PostgreSQL (the Django side, worker concurrency 2)"
  DATABASE_URL="$("$ROOT/deploy/postgres.sh" url)" TEST_WORKER_CONCURRENCY=2 \
    .venv/bin/python -m pytest -p no:cacheprovider "${PG_TESTS[@]}"
fi
echo "[test] finished in $(($(date +%s) - t0)) s"
