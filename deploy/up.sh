#!/usr/bin/env bash
# The run command: install what is needed, start Neo4j with GDS, Redis, the Celery worker and beat and the
# web app, load the demo data through the real path once (generate a drop, ingest it, detect), and print the
# URL and the demo logins. Running it again is harmless: running services are left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$ROOT/deploy/lib.sh"

t0=$(date +%s)
"$ROOT/deploy/bootstrap.sh"
PY="$VENV/bin/python"

"$ROOT/deploy/services.sh" start redis
"$ROOT/deploy/services.sh" start neo4j
info up "migrating the database and applying the graph schema"
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py graph_schema
"$ROOT/deploy/services.sh" start worker
"$ROOT/deploy/services.sh" start beat
"$ROOT/deploy/services.sh" start web

logins="$VAR_DIR/demo-logins.txt"
if [[ ! -s "$logins" ]]; then
  info up "creating the demo users"
  : >"$logins.tmp"
  for pair in analyst:analyst case_manager:case_manager admin:admin; do
    user="demo-${pair%%:*}"
    role="${pair##*:}"
    password="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(10))')"
    printf '%s\n' "$password" | "$PY" manage.py create_user "$user" --role "$role" --password-stdin >/dev/null
    printf '%-20s %-14s %s\n' "$user" "$role" "$password" >>"$logins.tmp"
  done
  mv "$logins.tmp" "$logins"
fi

demo_drop="$VAR_DIR/drops/demo/drop-0001"
if [[ ! -f "$VAR_DIR/demo-loaded" ]]; then
  info up "loading the demo data: generate a drop, ingest it, detect"
  mkdir -p "$(dirname "$demo_drop")"
  if [[ ! -d "$demo_drop" ]]; then
    "$PY" manage.py generate_drop "$demo_drop" --preset demo --seed 7
  fi
  "$PY" manage.py ingest "$demo_drop" --wait
  "$PY" manage.py detect --wait
  touch "$VAR_DIR/demo-loaded"
fi

"$PY" manage.py health || warn up "a component is not healthy yet (see above)"
cat <<MSG

Hydra Watch is running (set-up took $(($(date +%s) - t0)) s).
  URL:        http://127.0.0.1:${WEB_PORT:-8000}/
  API docs:   http://127.0.0.1:${WEB_PORT:-8000}/api/docs/
  Logs:       $LOG_DIR/
  Stop with:  make down

Demo logins (user, role, password):
$(sed 's/^/  /' "$logins")
MSG
