#!/usr/bin/env bash
# Celery worker and beat of the Django project (app "investigations"), from the repo root.
#
#   deploy/celery.sh start  worker|beat   start in the background, wait for health
#   deploy/celery.sh stop   worker|beat   stop (no-op when stopped); the worker shuts down warm
#   deploy/celery.sh status worker|beat   running/stopped (+ ping for the worker)
#
# Health: worker = `celery -A investigations inspect ping -d <node>` answers;
#         beat   = process alive and its log shows "beat: Starting..." (and it stays up).
# Environment (defaults): CELERY_CONCURRENCY=2  CELERY_QUEUES=default,ingest,detection
#   CELERY_NICE=10 (the worker's batch work, ingest and detection, yields the CPU to the web app on a shared host)
#   CELERY_LOGLEVEL=info  CELERY_START_TIMEOUT=90  CELERY_STOP_TIMEOUT=60
#   CELERY_BEAT_SETTLE=3 (seconds beat must stay up after "Starting...")
#   CELERY_NODE_NAME=celery@<host> (the worker's -n, pinged by the health check)
#   plus whatever the Django settings read (broker URL etc.).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CELERY_APP=investigations
CONCURRENCY="${CELERY_CONCURRENCY:-2}"
NICE="${CELERY_NICE:-10}"
QUEUES="${CELERY_QUEUES:-default,ingest,detection}"
LOGLEVEL="${CELERY_LOGLEVEL:-info}"
START_TIMEOUT="${CELERY_START_TIMEOUT:-90}"
STOP_TIMEOUT="${CELERY_STOP_TIMEOUT:-60}"
BEAT_SETTLE="${CELERY_BEAT_SETTLE:-3}"
NODE_NAME="${CELERY_NODE_NAME:-celery@${HOSTNAME:-$(uname -n)}}"
export PYTHONUNBUFFERED=1

require_project() {
  local service="$1"
  if [[ ! -f "$ROOT/$CELERY_APP/__init__.py" || ! -f "$ROOT/manage.py" ]]; then
    die "$service" "" "the Django project ($ROOT/$CELERY_APP, $ROOT/manage.py) does not exist yet"
  fi
}

worker_ping() {
  (cd "$ROOT" && "$VENV/bin/celery" -A "$CELERY_APP" inspect ping -t 5 -d "$NODE_NAME")
}

# beat_started LOGFILE OFFSET: the part of the log this start wrote says beat started.
# shellcheck disable=SC2317 # called through wait_for
beat_started() {
  log_since "$1" "$2" | grep -q 'beat: Starting\.\.\.'
}

# stays_up PIDFILE MARKER SECONDS: polls that the process is still alive for SECONDS.
stays_up() {
  local pidfile="$1" marker="$2" seconds="$3" deadline
  deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    running_pid "$pidfile" "$marker" >/dev/null || return 1
    sleep 0.5
  done
  running_pid "$pidfile" "$marker" >/dev/null
}

main() {
  local action="${1:-}" role="${2:-}"
  case "$role" in
    worker | beat) ;;
    *) usage_die "usage: $0 {start|stop|status} {worker|beat}" ;;
  esac
  local service="celery-$role"
  local pidfile="$RUN_DIR/$service.pid"
  local logfile="$LOG_DIR/$service.log"
  local marker="-A $CELERY_APP $role"
  local -a cmd
  if [[ "$role" == worker ]]; then
    cmd=(nice -n "$NICE" "$VENV/bin/celery" -A "$CELERY_APP" worker -l "$LOGLEVEL"
      --concurrency "$CONCURRENCY" -Q "$QUEUES" -n "$NODE_NAME")
  else
    # --pidfile= : no celerybeat.pid in the repo root (this script keeps the pid).
    cmd=("$VENV/bin/celery" -A "$CELERY_APP" beat -l "$LOGLEVEL"
      -S django_celery_beat.schedulers:DatabaseScheduler --pidfile=)
  fi

  case "$action" in
    start)
      ensure_dirs
      local pid offset
      if pid="$(running_pid "$pidfile" "$marker")"; then
        info "$service" "already running (pid $pid)"
        offset=0
      else
        require_project "$service"
        venv_bin celery >/dev/null
        offset="$(log_offset "$logfile")"
        DIE_LOG_OFFSET="$offset"
        info "$service" "starting (log: $logfile)"
        (cd "$ROOT" && start_bg "$pidfile" "$logfile" "${cmd[@]}")
      fi
      if [[ "$role" == worker ]]; then
        wait_healthy "$service" "$logfile" "$pidfile" "$marker" "$START_TIMEOUT" \
          "answer to 'celery inspect ping -d $NODE_NAME'" worker_ping
        info "$service" "ready: $NODE_NAME, queues $QUEUES, concurrency $CONCURRENCY"
      else
        wait_healthy "$service" "$logfile" "$pidfile" "$marker" "$START_TIMEOUT" \
          "'beat: Starting...' in the log" beat_started "$logfile" "$offset"
        if ! stays_up "$pidfile" "$marker" "$BEAT_SETTLE"; then
          rm -f "$pidfile"
          die "$service" "$logfile" "$service exited right after starting"
        fi
        info "$service" "ready (DatabaseScheduler)"
      fi
      ;;
    stop)
      stop_pid "$service" "$pidfile" "$marker" "$STOP_TIMEOUT"
      ;;
    status)
      local rc=0
      status_line "$service" "$pidfile" "$marker" || rc=$?
      ((rc == 0)) || return "$rc"
      if [[ "$role" == worker ]]; then
        if worker_ping >/dev/null 2>&1; then
          info "$service" "$NODE_NAME answers ping"
        else
          info "$service" "$NODE_NAME does not answer ping"
          return 1
        fi
      fi
      ;;
    *) usage_die "usage: $0 {start|stop|status} {worker|beat}" ;;
  esac
}

# On one line: bash has parsed it whole before running, so editing this file while it
# runs cannot make bash read a changed tail afterwards.
main "$@"; exit "$?"
