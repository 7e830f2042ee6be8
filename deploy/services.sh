#!/usr/bin/env bash
# Start, stop or inspect the project's services in dependency order.
#
#   deploy/services.sh start  [all|neo4j|redis|worker|beat|web]   (default: all)
#   deploy/services.sh stop   [all|neo4j|redis|worker|beat|web]
#   deploy/services.sh status [all|neo4j|redis|worker|beat|web]
#
# Start order: neo4j, redis, worker, beat, web; stop runs in reverse. A start stops at the
# first service that fails (its script has printed which one and where its log is).
# status exits 0 when every asked-for service runs and answers, 1 otherwise.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ORDER=(neo4j redis worker beat web)

run_one() {
  local action="$1" name="$2"
  case "$name" in
    neo4j) "$DEPLOY_DIR/neo4j.sh" "$action" ;;
    redis) "$DEPLOY_DIR/redis.sh" "$action" ;;
    worker) "$DEPLOY_DIR/celery.sh" "$action" worker ;;
    beat) "$DEPLOY_DIR/celery.sh" "$action" beat ;;
    web) "$DEPLOY_DIR/web.sh" "$action" ;;
    *) usage_die "unknown service: $name (one of: all ${ORDER[*]})" ;;
  esac
}

main() {
  local action="${1:-}" target="${2:-all}"
  local -a names
  case "$action" in
    start | stop | status) ;;
    *) usage_die "usage: $0 {start|stop|status} [all|neo4j|redis|worker|beat|web]" ;;
  esac
  if [[ "$target" == all ]]; then
    names=("${ORDER[@]}")
  else
    names=("$target")
  fi
  if [[ "$action" == stop ]]; then
    local -a reversed=()
    local i
    for ((i = ${#names[@]} - 1; i >= 0; i--)); do
      reversed+=("${names[i]}")
    done
    names=("${reversed[@]}")
  fi

  local name failed=0
  for name in "${names[@]}"; do
    case "$action" in
      start) run_one start "$name" ;;
      stop) run_one stop "$name" || failed=1 ;;
      status) run_one status "$name" || failed=1 ;;
    esac
  done
  return "$failed"
}

# On one line: bash has parsed it whole before running, so editing this file while it
# runs cannot make bash read a changed tail afterwards.
main "$@"; exit "$?"
