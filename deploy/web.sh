#!/usr/bin/env bash
# The Django development server (manage.py runserver --noreload) from the repo root, with DEBUG off
# as users run it (no URL map on a 404, no tracebacks; --insecure lets it serve the static files
# itself). DEBUG=1 turns debugging on.
#
#   deploy/web.sh start    start in the background, wait until /health/live/ answers 200
#   deploy/web.sh stop     stop (no-op when stopped)
#   deploy/web.sh status   running/stopped (+ /health/live/); exit 0 running, 3 stopped
#
# Environment (defaults): WEB_PORT=8000  WEB_START_TIMEOUT=60  WEB_STOP_TIMEOUT=20
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=web
WEB_HOST=127.0.0.1
WEB_PORT="${WEB_PORT:-8000}"
PIDFILE="$RUN_DIR/web.pid"
LOGFILE="$LOG_DIR/web.log"
START_TIMEOUT="${WEB_START_TIMEOUT:-60}"
STOP_TIMEOUT="${WEB_STOP_TIMEOUT:-20}"
MARKER="manage.py runserver"
HEALTH_URL="http://$WEB_HOST:$WEB_PORT/health/live/"
export PYTHONUNBUFFERED=1

web_live() {
  if command -v curl >/dev/null 2>&1; then
    [[ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$HEALTH_URL")" == "200" ]]
  else
    "$VENV/bin/python" -c 'import sys, urllib.request
sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=5).status == 200 else 1)' "$HEALTH_URL"
  fi
}

cmd_start() {
  ensure_dirs
  local pid
  if pid="$(running_pid "$PIDFILE" "$MARKER")"; then
    info "$SERVICE" "already running (pid $pid)"
    check_same_addr "$SERVICE" "$LOGFILE" "$PIDFILE" "$pid" "$WEB_HOST:$WEB_PORT"
  else
    if [[ ! -f "$ROOT/manage.py" ]]; then
      die "$SERVICE" "" "the Django project ($ROOT/manage.py) does not exist yet"
    fi
    local python
    python="$(venv_bin python)"
    require_free_port "$SERVICE" "$LOGFILE" "$WEB_HOST" "$WEB_PORT"
    DIE_LOG_OFFSET="$(log_offset "$LOGFILE")"
    info "$SERVICE" "starting on http://$WEB_HOST:$WEB_PORT/ (log: $LOGFILE)"
    (cd "$ROOT" && DEBUG="${DEBUG:-0}" start_bg "$PIDFILE" "$LOGFILE" "$python" manage.py runserver "$WEB_HOST:$WEB_PORT" --noreload --insecure)
    record_addr "$PIDFILE" "$WEB_HOST:$WEB_PORT"
  fi
  wait_healthy "$SERVICE" "$LOGFILE" "$PIDFILE" "$MARKER" "$START_TIMEOUT" \
    "HTTP 200 from $HEALTH_URL" web_live
  info "$SERVICE" "ready: http://$WEB_HOST:$WEB_PORT/"
}

cmd_stop() {
  stop_pid "$SERVICE" "$PIDFILE" "$MARKER" "$STOP_TIMEOUT"
}

cmd_status() {
  status_checked "$SERVICE" "$PIDFILE" "$MARKER" "$HEALTH_URL (HTTP 200)" web_live
}

main() {
  case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) usage_die "usage: $0 {start|stop|status}" ;;
  esac
}

# On one line: bash has parsed it whole before running, so editing this file while it
# runs cannot make bash read a changed tail afterwards.
main "$@"; exit "$?"
