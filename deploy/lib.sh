# shellcheck shell=bash
# Shared helpers for the deploy/*.sh service scripts. Source it; do not run it.
#
#   ROOT      the repository root (parent of deploy/)
#   VAR_DIR   $ROOT/var     (git-ignored; everything the services write lives here)
#   RUN_DIR   $VAR_DIR/run  (pid files)
#   LOG_DIR   $VAR_DIR/log  (one log per service)
#
# Every service script follows the same rules:
#   - start when running is a no-op (it still waits for health);
#   - stop when stopped is a no-op;
#   - on failure: die with the service name and the log file path, exit non-zero;
#   - waits poll a health check with a timeout, never a blind sleep.

if [[ -n "${_DEPLOY_LIB_SOURCED:-}" ]]; then
  return 0
fi
_DEPLOY_LIB_SOURCED=1

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$DEPLOY_DIR/.." && pwd)"
# Absolute, so that `VAR_DIR=var/x` and `VAR_DIR=$PWD/var/x` name the same services (a pid check compares paths).
VAR_DIR="$(realpath -m "${VAR_DIR:-$ROOT/var}")"
RUN_DIR="$VAR_DIR/run"
LOG_DIR="$VAR_DIR/log"
VENV="${VENV:-$ROOT/.venv}"
export ROOT VAR_DIR RUN_DIR LOG_DIR VENV DEPLOY_DIR

# The app reaches the bundled services on their configured ports unless told otherwise: a port set alone
# (NEO4J_BOLT_PORT, REDIS_PORT) must move the app with the service. Celery's broker/backend and the cache
# default to REDIS_URL in the settings.
NEO4J_URI="${NEO4J_URI:-bolt://127.0.0.1:${NEO4J_BOLT_PORT:-7687}}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:${REDIS_PORT:-6379}/0}"
export NEO4J_URI REDIS_URL

# ensure_dirs: create var/run and var/log.
ensure_dirs() {
  mkdir -p "$RUN_DIR" "$LOG_DIR"
}

# info SERVICE MESSAGE...
info() {
  local service="$1"
  shift
  printf '[%s] %s\n' "$service" "$*"
}

# warn SERVICE MESSAGE...
warn() {
  local service="$1"
  shift
  printf '[%s] WARNING: %s\n' "$service" "$*" >&2
}

# die SERVICE LOGFILE MESSAGE...
# Prints a clear error naming the service and its log, shows the log's last lines, exits 1.
die() {
  local service="$1" logfile="$2"
  shift 2
  printf '[%s] ERROR: %s\n' "$service" "$*" >&2
  if [[ -n "$logfile" ]]; then
    printf '[%s] log file: %s\n' "$service" "$logfile" >&2
    local excerpt=""
    if [[ -s "$logfile" ]]; then
      # DIE_LOG_OFFSET (set by a start) limits the excerpt to what this start wrote.
      if [[ -n "${DIE_LOG_OFFSET:-}" ]]; then
        excerpt="$(log_since "$logfile" "$DIE_LOG_OFFSET" | tail -n "${DIE_LOG_LINES:-25}")"
      else
        excerpt="$(tail -n "${DIE_LOG_LINES:-25}" "$logfile")"
      fi
    fi
    if [[ -n "${excerpt//[[:space:]]/}" ]]; then
      printf '[%s] last lines of the log:\n' "$service" >&2
      printf '%s\n' "$excerpt" | sed 's/^/    /' >&2
    fi
  fi
  exit 1
}

# usage_die MESSAGE: wrong arguments.
usage_die() {
  printf '%s\n' "$*" >&2
  exit 2
}

# pid_read PIDFILE: prints the pid stored in PIDFILE (nothing if absent or garbage).
pid_read() {
  local pidfile="$1" pid=""
  if [[ -f "$pidfile" ]]; then
    read -r pid <"$pidfile" || true
  fi
  if [[ "$pid" =~ ^[0-9]+$ ]]; then
    printf '%s\n' "$pid"
  fi
}

# pid_matches PID MARKER: true when PID is alive and its command line contains MARKER
# (guards against a stale pid file whose number was reused by another process).
pid_matches() {
  local pid="$1" marker="${2:-}" cmdline
  pid_alive "$pid" || return 1
  if [[ -z "$marker" ]]; then
    return 0
  fi
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"$marker"* ]]
}

# pid_alive PID: true when PID exists and is not a zombie (a dead child not yet reaped).
pid_alive() {
  local pid="$1" stat=""
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  read -r stat <"/proc/$pid/stat" 2>/dev/null || return 1
  # Field 3 (after "pid (comm)") is the state letter.
  stat="${stat##*) }"
  [[ "${stat:0:1}" != "Z" ]]
}

# pids_matching TEXT: pids of processes whose command line contains TEXT (no pgrep needed).
pids_matching() {
  local text="$1" f pid cmdline
  for f in /proc/[0-9]*/cmdline; do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    [[ "$pid" == "$$" || "$pid" == "$BASHPID" ]] && continue
    cmdline="$(tr '\0' ' ' <"$f" 2>/dev/null || true)"
    if [[ "$cmdline" == *"$text"* ]]; then
      printf '%s\n' "$pid"
    fi
  done
}

# running_pid PIDFILE MARKER: prints the live pid, or returns 1 (and removes a stale file).
running_pid() {
  local pidfile="$1" marker="${2:-}" pid
  pid="$(pid_read "$pidfile")"
  if [[ -n "$pid" ]] && pid_matches "$pid" "$marker"; then
    printf '%s\n' "$pid"
    return 0
  fi
  if [[ -f "$pidfile" ]]; then
    rm -f "$pidfile" "$pidfile.addr"
  fi
  return 1
}

# start_bg PIDFILE LOGFILE CMD...: runs CMD detached (own session, stdin from /dev/null,
# stdout+stderr appended to LOGFILE) from the current directory and writes its pid.
start_bg() {
  local pidfile="$1" logfile="$2"
  shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  # No job control in scripts, so the background child is not a process-group leader
  # and setsid execs CMD in place: $! is CMD's own pid, and it leads its own group.
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  printf '%s\n' "$!" >"$pidfile"
}

# record_addr PIDFILE ADDR: remember where a started service listens (PIDFILE.addr).
record_addr() {
  printf '%s\n' "$2" >"$1.addr"
}

# check_same_addr SERVICE LOGFILE PIDFILE PID ADDR: when a service is already running, die
# if it listens somewhere else than this start asks for (e.g. another port in the env).
check_same_addr() {
  local service="$1" logfile="$2" pidfile="$3" pid="$4" addr="$5" running=""
  if [[ -f "$pidfile.addr" ]]; then
    read -r running <"$pidfile.addr" || true
  fi
  if [[ -n "$running" && "$running" != "$addr" ]]; then
    die "$service" "" "already running (pid $pid) on $running, but $addr was asked for; stop it first (log: $logfile)"
  fi
}

# log_offset LOGFILE: current size in bytes (0 if missing), to read only what a start adds.
log_offset() {
  local logfile="$1"
  if [[ -f "$logfile" ]]; then
    stat -c %s "$logfile"
  else
    printf '0\n'
  fi
}

# log_since LOGFILE OFFSET: the part of LOGFILE written after OFFSET bytes.
log_since() {
  local logfile="$1" offset="$2"
  if [[ -f "$logfile" ]]; then
    tail -c "+$((offset + 1))" "$logfile"
  fi
}

# wait_for TIMEOUT_S PIDFILE MARKER CHECK_CMD...
# Polls CHECK_CMD (every WAIT_INTERVAL seconds, default 0.5) until it succeeds.
# Returns 0 on success, 1 on timeout, 2 as soon as the process in PIDFILE is gone
# (pass an empty PIDFILE to skip that test). MARKER is kept for the callers' symmetry.
wait_for() {
  local timeout="$1" pidfile="$2" marker="$3"
  shift 3
  local interval="${WAIT_INTERVAL:-0.5}" deadline pid
  deadline=$((SECONDS + timeout))
  while true; do
    if [[ -n "$pidfile" ]]; then
      pid="$(pid_read "$pidfile")"
      # Right after start_bg the child may not have exec'd yet (its command line is still
      # the calling script's), so only a pid that is gone counts as an exit here.
      if [[ -z "$pid" ]] || ! pid_alive "$pid"; then
        return 2
      fi
    fi
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      return 1
    fi
    sleep "$interval"
  done
}

# wait_healthy SERVICE LOGFILE PIDFILE MARKER TIMEOUT_S WHAT CHECK_CMD...
# wait_for + the error handling every start shares: dies naming the service and its log
# when the process exits during start-up (and drops its pid file) or when CHECK_CMD has not
# succeeded within TIMEOUT_S (the process is left running then: it may just be slow).
wait_healthy() {
  local service="$1" logfile="$2" pidfile="$3" marker="$4" timeout="$5" what="$6"
  shift 6
  local rc=0 pid
  wait_for "$timeout" "$pidfile" "$marker" "$@" || rc=$?
  case "$rc" in
    0) return 0 ;;
    2)
      rm -f "$pidfile" "$pidfile.addr"
      die "$service" "$logfile" "$service exited during start-up (before $what)"
      ;;
    *)
      pid="$(pid_read "$pidfile")"
      die "$service" "$logfile" "no $what within ${timeout}s; the process (pid ${pid:-?}) is left running: check the log, then stop it with its stop command"
      ;;
  esac
}

# stop_pid SERVICE PIDFILE MARKER TIMEOUT_S: SIGTERM, wait up to TIMEOUT_S, then SIGKILL
# the whole process group. A no-op when not running.
stop_pid() {
  local service="$1" pidfile="$2" marker="$3" timeout="$4" pid deadline
  if ! pid="$(running_pid "$pidfile" "$marker")"; then
    info "$service" "not running"
    return 0
  fi
  info "$service" "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while pid_matches "$pid" "$marker"; do
    if ((SECONDS >= deadline)); then
      warn "$service" "did not stop within ${timeout}s; sending SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  # Children left in the group (e.g. celery prefork workers) go too.
  kill -TERM -- "-$pid" 2>/dev/null || true
  rm -f "$pidfile" "$pidfile.addr"
  info "$service" "stopped"
}

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  local host="$1" port="$2"
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# require_free_port SERVICE LOGFILE HOST PORT: die when another process holds the port.
require_free_port() {
  local service="$1" logfile="$2" host="$3" port="$4"
  if port_open "$host" "$port"; then
    die "$service" "" "port $host:$port is already in use by another process (not started by these scripts, or by them with another VAR_DIR); stop it or choose another port (log: $logfile)"
  fi
}

# venv_bin NAME: path of an executable inside the project virtualenv (dies if missing).
venv_bin() {
  local name="$1"
  if [[ ! -x "$VENV/bin/$name" ]]; then
    printf 'ERROR: %s not found; create the virtualenv first (python3 -m venv .venv && .venv/bin/pip install -r requirements.txt)\n' "$VENV/bin/$name" >&2
    exit 1
  fi
  printf '%s\n' "$VENV/bin/$name"
}

# status_line SERVICE PIDFILE MARKER: prints running/stopped; returns 0 running, 3 stopped.
status_line() {
  local service="$1" pidfile="$2" marker="$3" pid
  if pid="$(running_pid "$pidfile" "$marker")"; then
    info "$service" "running (pid $pid)"
    return 0
  fi
  info "$service" "stopped"
  return 3
}

# status_checked SERVICE PIDFILE MARKER WHAT CHECK_CMD...: status_line, then whether the running
# service answers CHECK_CMD ("WHAT answers" / "WHAT does not answer"); returns 1 when it does not.
status_checked() {
  local service="$1" pidfile="$2" marker="$3" what="$4" rc=0
  shift 4
  status_line "$service" "$pidfile" "$marker" || rc=$?
  ((rc == 0)) || return "$rc"
  if "$@" >/dev/null 2>&1; then
    info "$service" "$what answers"
  else
    info "$service" "$what does not answer"
    return 1
  fi
}

# as_root CMD...: run CMD as root (directly, or through `sudo -n`); dies naming $SERVICE when neither works.
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    die "${SERVICE:-deploy}" "" "need root (or sudo) to run: $*"
  fi
}

# apt_install_service SERVICE LOGFILE PACKAGE...: apt-get install PACKAGEs non-interactively without letting
# their packages start a system-wide server (invoke-rc.d asks /usr/sbin/policy-rc.d; 101 = action forbidden);
# refreshes the package lists and retries once when the first try fails; dies naming the log on failure.
apt_install_service() {
  local service="$1" logfile="$2"
  shift 2
  local policy=/usr/sbin/policy-rc.d made_policy="" rc=0
  ensure_dirs
  info "$service" "installing Debian's $* with apt-get (log: $logfile)"
  if [[ ! -e "$policy" ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    made_policy=1
  fi
  {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" || {
      echo "apt-get install failed; refreshing the package lists and retrying"
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
    }
  } >"$logfile" 2>&1 || rc=$?
  [[ -z "$made_policy" ]] || as_root rm -f "$policy"
  ((rc == 0)) || die "$service" "$logfile" "apt-get install $* failed"
}
