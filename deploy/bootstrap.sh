#!/usr/bin/env bash
# Install everything the platform needs on a fresh Debian machine (idempotent, quick when up to date):
#   Debian packages (redis-server, postgresql, chromium for the browser tests, Node.js), the Python virtualenv with
#   the pinned requirements, the explorer's JavaScript bundle (npm ci + esbuild), and the Neo4j 5.26 + GDS 2.13
#   build from Maven Central.
#
#   deploy/bootstrap.sh            everything
#   deploy/bootstrap.sh --no-neo4j skip the Neo4j build (e.g. on a web-only host)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PYTHON="${PYTHON:-python3}"
build_neo4j=1
[[ "${1:-}" == "--no-neo4j" ]] && build_neo4j=0

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
[[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
if ((${#need_apt[@]})); then
  info bootstrap "installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# PostgreSQL for the test command's second pass (its script keeps the package's system service from starting).
"$DEPLOY_DIR/postgres.sh" install

ensure_dirs
if [[ ! -x "$VENV/bin/python" ]]; then
  info bootstrap "creating the virtualenv in $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.requirements.sha256"
want="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  info bootstrap "installing Python packages (requirements.txt)"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.txt"
  echo "$want" >"$stamp"
fi

# The explorer's JavaScript: the npm packages frontend/package-lock.json pins (installed again only when the lock
# changes), bundled by esbuild into frontend/static/frontend/dist/ (served as static files; no CDN).
npm_stamp="$ROOT/frontend/node_modules/.lock.sha256"
npm_want="$(sha256sum "$ROOT/frontend/package-lock.json" | cut -d' ' -f1)"
if [[ ! -f "$npm_stamp" || "$(cat "$npm_stamp")" != "$npm_want" ]]; then
  info bootstrap "installing the explorer's npm packages (frontend/package-lock.json)"
  (cd "$ROOT/frontend" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$npm_want" >"$npm_stamp"
fi
(cd "$ROOT/frontend" && node js/build.mjs)

if ((build_neo4j)); then
  "$DEPLOY_DIR/neo4j.sh" build
fi
info bootstrap "ready"
