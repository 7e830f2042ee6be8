#!/usr/bin/env bash
# PostgreSQL (Debian's server) as a user process, for the test command's PostgreSQL pass and for trying the app on
# the database production runs (DATABASE_URL=postgres://…). The demo itself stays on SQLite.
#
#   deploy/postgres.sh install   apt-get install postgresql if the server is missing (its system service kept off)
#   deploy/postgres.sh start     install if needed, initdb on first start, start, wait for pg_isready, create the
#                                database; prints the DATABASE_URL
#   deploy/postgres.sh stop      stop (no-op when stopped): a fast shutdown
#   deploy/postgres.sh status    running/stopped (+ pg_isready); exit 0 running, 3 stopped
#   deploy/postgres.sh url       the DATABASE_URL of this server
#
# Environment (defaults): PG_PORT=5432  PG_USER=hydra  PG_PASSWORD=hydra-dev-password  PG_DATABASE=hydra
#   PG_START_TIMEOUT=60  PG_STOP_TIMEOUT=60  PG_DATA=$VAR_DIR/postgres/data
# PostgreSQL refuses to run as root: as root the server runs as Debian's `postgres` user (setpriv, no extra
# process), which must be able to reach PG_DATA; when it cannot reach $VAR_DIR (a checkout under /root, say), the
# data goes to /var/tmp/hydra-watch-postgres-PG_PORT instead, and the script says so.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=postgres
PG_HOST=127.0.0.1
PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-hydra}"
PG_PASSWORD="${PG_PASSWORD:-hydra-dev-password}"
PG_DATABASE="${PG_DATABASE:-hydra}"
PIDFILE="$RUN_DIR/postgres.pid"
LOGFILE="$LOG_DIR/postgres.log"
START_TIMEOUT="${PG_START_TIMEOUT:-60}"
STOP_TIMEOUT="${PG_STOP_TIMEOUT:-60}"

# pg_bindir: the newest installed server's bin folder (/usr/lib/postgresql/<version>/bin), or nothing.
pg_bindir() {
  local dir
  dir="$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/postgres' 2>/dev/null | sort -V | tail -n 1)"
  [[ -n "$dir" ]] && dirname "$dir"
}

cmd_install() {
  if [[ -n "$(pg_bindir)" ]]; then
    [[ "${1:-}" == quiet ]] || info "$SERVICE" "installed: $("$(pg_bindir)/postgres" --version)"
    return 0
  fi
  local install_log="$LOG_DIR/postgres-install.log"
  apt_install_service "$SERVICE" "$install_log" postgresql
  [[ -n "$(pg_bindir)" ]] || die "$SERVICE" "$install_log" "the PostgreSQL server is still missing after apt-get"
  info "$SERVICE" "installed: $("$(pg_bindir)/postgres" --version)"
}

# The user the server runs as, and where its data lives (see the header).
if ((EUID == 0)); then
  RUN_AS=postgres
else
  RUN_AS="$(id -un)"
fi
if [[ -z "${PG_DATA:-}" ]]; then
  PG_DATA="$VAR_DIR/postgres/data"
  if ((EUID == 0)) && id postgres >/dev/null 2>&1 &&
    ! setpriv --reuid=postgres --regid=postgres --init-groups -- test -x "$VAR_DIR" 2>/dev/null; then
    PG_DATA="/var/tmp/hydra-watch-postgres-$PG_PORT/data"
  fi
fi
MARKER="-D $PG_DATA"

# as_server CMD...: run CMD as the server's user (root drops to `postgres` in place).
as_server() {
  if ((EUID == 0)); then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

pg_ready() {
  "$(pg_bindir)/pg_isready" -q -h "$PG_HOST" -p "$PG_PORT"
}

psql_admin() {
  PGPASSWORD="$PG_PASSWORD" "$(pg_bindir)/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" \
    -U "$PG_USER" -d postgres "$@"
}

init_cluster() {
  [[ -f "$PG_DATA/PG_VERSION" ]] && return 0
  [[ "$PG_DATA" == "$VAR_DIR"/* ]] || info "$SERVICE" "postgres cannot reach $VAR_DIR: data in $PG_DATA"
  mkdir -p "$PG_DATA"
  chmod 700 "$PG_DATA"
  local pwfile="$PG_DATA/../pwfile"
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  if ((EUID == 0)); then
    chown -R postgres:postgres "$(dirname "$PG_DATA")"
  fi
  info "$SERVICE" "initdb in $PG_DATA (superuser $PG_USER)"
  as_server "$(pg_bindir)/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pwfile" --auth=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >>"$LOGFILE" 2>&1 || die "$SERVICE" "$LOGFILE" "initdb failed"
  rm -f "$pwfile"
}

cmd_start() {
  ensure_dirs
  local pid
  if pid="$(running_pid "$PIDFILE" "$MARKER")"; then
    info "$SERVICE" "already running (pid $pid)"
    check_same_addr "$SERVICE" "$LOGFILE" "$PIDFILE" "$pid" "$PG_HOST:$PG_PORT"
  else
    cmd_install quiet
    require_free_port "$SERVICE" "$LOGFILE" "$PG_HOST" "$PG_PORT"
    touch "$LOGFILE"
    ((EUID != 0)) || chown postgres "$LOGFILE"
    init_cluster
    info "$SERVICE" "starting on $PG_HOST:$PG_PORT (log: $LOGFILE)"
    DIE_LOG_OFFSET="$(log_offset "$LOGFILE")"
    # Only TCP on loopback: no socket file to place somewhere both users can write.
    start_bg "$PIDFILE" "$LOGFILE" "${SETPRIV[@]}" "$(pg_bindir)/postgres" -D "$PG_DATA" -p "$PG_PORT" \
      -c listen_addresses="$PG_HOST" -c unix_socket_directories= -c fsync=off -c synchronous_commit=off
    record_addr "$PIDFILE" "$PG_HOST:$PG_PORT"
  fi
  wait_healthy "$SERVICE" "$LOGFILE" "$PIDFILE" "$MARKER" "$START_TIMEOUT" \
    "pg_isready -h $PG_HOST -p $PG_PORT" pg_ready
  if [[ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" != 1 ]]; then
    psql_admin -c "CREATE DATABASE \"$PG_DATABASE\"" >>"$LOGFILE" 2>&1 ||
      die "$SERVICE" "$LOGFILE" "could not create database $PG_DATABASE"
  fi
  info "$SERVICE" "ready: $(cmd_url)"
}

cmd_stop() {
  local pid
  if pid="$(running_pid "$PIDFILE" "$MARKER")"; then
    kill -INT "$pid" 2>/dev/null || true # a fast shutdown: SIGTERM would wait for every session to end
  fi
  stop_pid "$SERVICE" "$PIDFILE" "$MARKER" "$STOP_TIMEOUT"
}

cmd_status() {
  status_checked "$SERVICE" "$PIDFILE" "$MARKER" "postgres://$PG_HOST:$PG_PORT (pg_isready)" pg_ready
}

cmd_url() {
  printf 'postgres://%s:%s@%s:%s/%s\n' "$PG_USER" "$PG_PASSWORD" "$PG_HOST" "$PG_PORT" "$PG_DATABASE"
}

SETPRIV=()
((EUID != 0)) || SETPRIV=(setpriv --reuid=postgres --regid=postgres --init-groups --)

main() {
  case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) cmd_url ;;
    *) usage_die "usage: $0 {install|start|stop|status|url}" ;;
  esac
}

# On one line: bash has parsed it whole before running, so editing this file while it
# runs cannot make bash read a changed tail afterwards.
main "$@"; exit "$?"
