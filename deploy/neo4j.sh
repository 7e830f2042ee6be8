#!/usr/bin/env bash
# Neo4j Community 5.26 LTS + Graph Data Science, assembled from Maven Central jars.
#
#   deploy/neo4j.sh build     resolve the server jars into var/neo4j/lib and build the GDS
#                             plugin jar into var/neo4j/plugins (skipped when up to date)
#   deploy/neo4j.sh start     build if needed, write var/neo4j/conf/neo4j.conf, set the
#                             initial password on first start, launch, wait for Bolt
#   deploy/neo4j.sh stop      stop (no-op when stopped)
#   deploy/neo4j.sh status    running/stopped (+ Bolt health); exit 0 running, 3 stopped
#   deploy/neo4j.sh wait      wait until Bolt answers a query (NEO4J_START_TIMEOUT)
#   deploy/neo4j.sh password  set the initial password before the first start
#   deploy/neo4j.sh conf      (re)write the config files only
#   deploy/neo4j.sh cypher    cypher-shell against the running server (args passed on)
#
# Environment (defaults):
#   NEO4J_BOLT_PORT=7687  NEO4J_HTTP_ENABLED=false  NEO4J_HTTP_PORT=7474
#   NEO4J_USER=neo4j  NEO4J_PASSWORD=neo4j-dev-password (min. 8 characters; another user
#     than neo4j is created on start through the neo4j account, same password)
#   NEO4J_HEAP=2g  NEO4J_PAGECACHE=4g (a scale-1 drop makes a graph of several GB: ingest and
#     detection slow down a lot once it no longer fits; pages are only taken as the store grows)
#   NEO4J_TX_MEMORY_MAX= (Neo4j default: 70% of heap)
#   NEO4J_JAVA_OPTS= (extra JVM flags)  JAVA_HOME= (else `java` on PATH; needs 17 or 21)
#   NEO4J_START_TIMEOUT=300  NEO4J_STOP_TIMEOUT=120  NEO4J_MVN_ARGS= (e.g. -o)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SERVICE=neo4j
# The build (jars) is shared by every instance and always lives in $ROOT/var/neo4j;
# an instance (config, data, logs) lives in $VAR_DIR/neo4j, so a test run with
# VAR_DIR=var/test gets its own database next to the demo one without a second build.
NEO4J_DIST="${NEO4J_DIST_DIR:-$ROOT/var/neo4j}"
NEO4J_LIB="$NEO4J_DIST/lib"
NEO4J_PLUGINS="$NEO4J_DIST/plugins"
LIB_STAMP="$NEO4J_DIST/.lib-stamp"
GDS_STAMP="$NEO4J_DIST/.gds-stamp"
BUILD_LOCK="$NEO4J_DIST/.build-lock"
BUILD_LOG="$NEO4J_DIST/build.log"
NEO4J_HOME="$VAR_DIR/neo4j"
NEO4J_CONF_DIR="$NEO4J_HOME/conf"
NEO4J_DATA="$NEO4J_HOME/data"
NEO4J_LOGS="$NEO4J_HOME/logs"
PIDFILE="$RUN_DIR/neo4j.pid"
LOGFILE="$LOG_DIR/neo4j.log"

ENTRY_CLASS=org.neo4j.server.CommunityEntryPoint
ADMIN_CLASS=org.neo4j.cli.AdminTool
SHELL_CLASS=org.neo4j.shell.Main
# Text that identifies our server process in /proc/PID/cmdline.
MARKER="$ENTRY_CLASS --home-dir=$NEO4J_HOME"

NEO4J_POM="$DEPLOY_DIR/neo4j/pom.xml"
GDS_POM="$DEPLOY_DIR/gds/pom.xml"

BOLT_HOST=127.0.0.1
BOLT_PORT="${NEO4J_BOLT_PORT:-7687}"
HTTP_ENABLED="${NEO4J_HTTP_ENABLED:-false}"
HTTP_PORT="${NEO4J_HTTP_PORT:-7474}"
NEO4J_USER="${NEO4J_USER:-neo4j}"
NEO4J_PASSWORD="${NEO4J_PASSWORD:-neo4j-dev-password}"
HEAP="${NEO4J_HEAP:-2g}"
PAGECACHE="${NEO4J_PAGECACHE:-4g}"
START_TIMEOUT="${NEO4J_START_TIMEOUT:-300}"
STOP_TIMEOUT="${NEO4J_STOP_TIMEOUT:-120}"
export NEO4J_USER NEO4J_PASSWORD

java_bin() {
  local java
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    java="$JAVA_HOME/bin/java"
  elif command -v java >/dev/null 2>&1; then
    java="$(command -v java)"
  else
    die "$SERVICE" "" "no java found: install a JDK 17 or 21 (Debian: openjdk-17-jre-headless) or set JAVA_HOME"
  fi
  printf '%s\n' "$java"
}

# ---------------------------------------------------------------- build
#
# Two outputs, each with a stamp (the sha256 of the POM that made it), rebuilt only when
# missing or when its POM changed:
#   lib/      <- deploy/neo4j/pom.xml   (refused while a server runs from lib/)
#   plugins/  <- deploy/gds/pom.xml     (the new jar is renamed over the old one, so running
#                                        servers keep the jar they opened until restarted)
# Both are built into a fresh temporary folder first and moved into place when complete.

pom_sha() {
  sha256sum "$1" | awk '{print $1}'
}

# have_file GLOB: true when at least one file matches.
have_file() {
  compgen -G "$1" >/dev/null
}

gds_jar() {
  local jar
  for jar in "$NEO4J_PLUGINS"/open-gds-*.jar; do
    if [[ -f "$jar" ]]; then
      printf '%s\n' "$jar"
      return 0
    fi
  done
  return 1
}

lib_is_current() {
  [[ -f "$LIB_STAMP" ]] || return 1
  have_file "$NEO4J_LIB/neo4j-server-*.jar" || return 1
  have_file "$NEO4J_LIB/neo4j-5.*.jar" || return 1
  [[ "$(cat "$LIB_STAMP")" == "$(pom_sha "$NEO4J_POM")" ]]
}

gds_is_current() {
  [[ -f "$GDS_STAMP" ]] || return 1
  gds_jar >/dev/null || return 1
  [[ "$(cat "$GDS_STAMP")" == "$(pom_sha "$GDS_POM")" ]]
}

build_is_current() {
  lib_is_current && gds_is_current
}

# servers_using_lib: pids of java processes whose class path is our lib/ (any VAR_DIR).
servers_using_lib() {
  pids_matching "-cp $NEO4J_LIB/" | tr '\n' ' '
}

mvn_args() {
  printf '%s\n' -B -q
  if [[ -n "${NEO4J_MVN_ARGS:-}" ]]; then
    # Word splitting is intended: NEO4J_MVN_ARGS holds extra flags, e.g. "-o".
    # shellcheck disable=SC2086
    printf '%s\n' ${NEO4J_MVN_ARGS}
  fi
}

build_lib() {
  local users tmp="$NEO4J_DIST/lib.tmp"
  users="$(servers_using_lib)"
  if [[ -n "${users// /}" ]]; then
    die "$SERVICE" "" "the Neo4j server jars must be rebuilt, but servers run from $NEO4J_LIB (pids: $users); stop them first"
  fi
  local -a args
  mapfile -t args < <(mvn_args)
  rm -rf "$tmp"
  mkdir -p "$tmp"
  info "$SERVICE" "resolving the Neo4j server jars into $NEO4J_LIB (log: $BUILD_LOG)"
  if ! mvn "${args[@]}" -f "$NEO4J_POM" package -Dneo4j.lib.dir="$tmp" >>"$BUILD_LOG" 2>&1; then
    die "$SERVICE" "$BUILD_LOG" "Maven build of the Neo4j server libs failed"
  fi
  have_file "$tmp/neo4j-server-*.jar" ||
    die "$SERVICE" "$BUILD_LOG" "no neo4j-server jar after the build (in $tmp)"
  rm -f "$LIB_STAMP"
  rm -rf "$NEO4J_LIB"
  mv "$tmp" "$NEO4J_LIB"
  pom_sha "$NEO4J_POM" >"$LIB_STAMP"
}

build_gds() {
  local tmp="$NEO4J_DIST/plugins.tmp" jar new old
  local -a args
  mapfile -t args < <(mvn_args)
  rm -rf "$tmp"
  mkdir -p "$tmp" "$NEO4J_PLUGINS"
  info "$SERVICE" "building the GDS plugin jar into $NEO4J_PLUGINS (log: $BUILD_LOG)"
  if ! mvn "${args[@]}" -f "$GDS_POM" package -Dgds.plugins.dir="$tmp" >>"$BUILD_LOG" 2>&1; then
    die "$SERVICE" "$BUILD_LOG" "Maven build of the GDS plugin failed"
  fi
  new=""
  for jar in "$tmp"/open-gds-*.jar; do
    [[ -f "$jar" ]] && new="$jar"
  done
  [[ -n "$new" ]] || die "$SERVICE" "$BUILD_LOG" "no GDS plugin jar after the build (in $tmp)"
  rm -f "$GDS_STAMP"
  # Other versions go; the same name is replaced by an atomic rename.
  for old in "$NEO4J_PLUGINS"/open-gds-*.jar; do
    if [[ -f "$old" && "$(basename "$old")" != "$(basename "$new")" ]]; then
      rm -f "$old"
    fi
  done
  mv -f "$new" "$NEO4J_PLUGINS/"
  rm -rf "$tmp"
  pom_sha "$GDS_POM" >"$GDS_STAMP"
  local users
  users="$(servers_using_lib)"
  if [[ -n "${users// /}" ]]; then
    warn "$SERVICE" "new GDS plugin jar in place; running servers (pids: $users) load it on their next restart"
  fi
}

cmd_build() {
  mkdir -p "$NEO4J_DIST"
  if build_is_current; then
    info "$SERVICE" "build up to date ($NEO4J_LIB, $(gds_jar))"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "$SERVICE" "" "mvn not found: install Maven (Debian: maven)"
  # One build at a time (a demo and a test run may both ask for it).
  exec 9>"$BUILD_LOCK"
  if ! flock -w 900 9; then
    die "$SERVICE" "$BUILD_LOG" "another build holds $BUILD_LOCK for more than 15 minutes"
  fi
  local t0=$SECONDS
  : >"$BUILD_LOG"
  rm -f "$NEO4J_DIST/.build-stamp" # the single stamp of earlier versions of this script
  local built=0
  if ! lib_is_current; then
    build_lib
    built=1
  fi
  if ! gds_is_current; then
    build_gds
    built=1
  fi
  exec 9>&-
  if ((built)); then
    info "$SERVICE" "build done in $((SECONDS - t0))s: $(find "$NEO4J_LIB" -name '*.jar' | wc -l) server jars, $(basename "$(gds_jar)")"
  else
    info "$SERVICE" "build up to date ($NEO4J_LIB, $(gds_jar))"
  fi
}

# ---------------------------------------------------------------- config

write_conf() {
  ensure_dirs
  mkdir -p "$NEO4J_CONF_DIR" "$NEO4J_DATA" "$NEO4J_LOGS" "$NEO4J_HOME/import" "$NEO4J_HOME/run"
  local http_addr="127.0.0.1:$HTTP_PORT"
  local tx_line="# dbms.memory.transaction.total.max: Neo4j default (70% of the heap)"
  if [[ -n "${NEO4J_TX_MEMORY_MAX:-}" ]]; then
    tx_line="dbms.memory.transaction.total.max=$NEO4J_TX_MEMORY_MAX"
  fi
  cat >"$NEO4J_CONF_DIR/neo4j.conf" <<EOF
# Generated by deploy/neo4j.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ); edits are overwritten on start.
# The JVM flags (heap, --add-opens, GC) are passed on the java command line by deploy/neo4j.sh,
# because the server is started through its entry point, not the bin/neo4j launcher.

server.directories.neo4j_home=$NEO4J_HOME
server.directories.data=$NEO4J_DATA
server.directories.logs=$NEO4J_LOGS
server.directories.plugins=$NEO4J_PLUGINS
server.directories.import=$NEO4J_HOME/import
server.directories.run=$NEO4J_HOME/run
server.directories.lib=$NEO4J_LIB

server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=$BOLT_HOST:$BOLT_PORT
server.bolt.advertised_address=$BOLT_HOST:$BOLT_PORT
server.bolt.tls_level=DISABLED
server.http.enabled=$HTTP_ENABLED
server.http.listen_address=$http_addr
server.http.advertised_address=$http_addr
server.https.enabled=false

dbms.security.auth_enabled=true
dbms.usage_report.enabled=false

# Memory (informational here: the JVM gets -Xms/-Xmx from deploy/neo4j.sh).
server.memory.heap.initial_size=$HEAP
server.memory.heap.max_size=$HEAP
server.memory.pagecache.size=$PAGECACHE
$tx_line

db.tx_log.rotation.retention_policy=1 days 1G

# Graph Data Science plugin (var/neo4j/plugins/open-gds-*.jar).
dbms.security.procedures.unrestricted=gds.*
dbms.security.procedures.allowlist=gds.*

server.logs.config=$NEO4J_CONF_DIR/server-logs.xml
server.logs.user.config=$NEO4J_CONF_DIR/user-logs.xml
EOF

  # debug.log / query.log / security.log / http.log under var/neo4j/logs.
  cat >"$NEO4J_CONF_DIR/server-logs.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by deploy/neo4j.sh. log4j2 configuration of the server's internal logs. -->
<Configuration status="ERROR" monitorInterval="30" packages="org.neo4j.logging.log4j">
  <Appenders>
    <RollingRandomAccessFile name="DebugLog" fileName="${config:server.directories.logs}/debug.log"
                             filePattern="$${config:server.directories.logs}/debug.log.%02i">
      <Neo4jDebugLogLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p [%c{1.}] %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="5"/>
    </RollingRandomAccessFile>
    <RollingRandomAccessFile name="HttpLog" fileName="${config:server.directories.logs}/http.log"
                             filePattern="$${config:server.directories.logs}/http.log.%02i">
      <PatternLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="3"/>
    </RollingRandomAccessFile>
    <RollingRandomAccessFile name="QueryLog" fileName="${config:server.directories.logs}/query.log"
                             filePattern="$${config:server.directories.logs}/query.log.%02i">
      <PatternLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="5"/>
    </RollingRandomAccessFile>
    <RollingRandomAccessFile name="SecurityLog" fileName="${config:server.directories.logs}/security.log"
                             filePattern="$${config:server.directories.logs}/security.log.%02i">
      <PatternLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy fileIndex="min" max="3"/>
    </RollingRandomAccessFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="DebugLog"/></Root>
    <Logger name="QueryLogger" level="INFO" additivity="false"><AppenderRef ref="QueryLog"/></Logger>
    <Logger name="HttpLogger" level="INFO" additivity="false"><AppenderRef ref="HttpLog"/></Logger>
    <Logger name="SecurityLogger" level="INFO" additivity="false"><AppenderRef ref="SecurityLog"/></Logger>
  </Loggers>
</Configuration>
EOF

  # The user log goes to stdout, which deploy/neo4j.sh appends to var/log/neo4j.log.
  cat >"$NEO4J_CONF_DIR/user-logs.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by deploy/neo4j.sh. The user log (neo4j.log) goes to stdout = var/log/neo4j.log. -->
<Configuration status="ERROR" monitorInterval="30" packages="org.neo4j.logging.log4j">
  <Appenders>
    <Console name="ConsoleAppender" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{yyyy-MM-dd HH:mm:ss.SSSZ}{GMT+0} %-5p %m%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="ConsoleAppender"/></Root>
  </Loggers>
</Configuration>
EOF
}

# ---------------------------------------------------------------- admin / password

# run_admin ARGS...: the server's own admin CLI (neo4j-admin) from the same lib/.
run_admin() {
  local java
  java="$(java_bin)"
  NEO4J_HOME="$NEO4J_HOME" NEO4J_CONF="$NEO4J_CONF_DIR" \
    "$java" -Xmx512m -Dfile.encoding=UTF-8 -cp "$NEO4J_LIB/*:$NEO4J_PLUGINS/*" "$ADMIN_CLASS" "$@"
}

# The system database exists once the server has started at least once; after that the
# initial password can no longer be set this way.
system_db_exists() {
  [[ -d "$NEO4J_DATA/databases/system" ]]
}

cmd_password() {
  if ! build_is_current; then
    cmd_build
  fi
  write_conf
  if system_db_exists; then
    info "$SERVICE" "the system database already exists: initial password already set (change it with ALTER CURRENT USER SET PASSWORD, or wipe var/neo4j/data)"
    return 0
  fi
  if running_pid "$PIDFILE" "$MARKER" >/dev/null; then
    die "$SERVICE" "$LOGFILE" "cannot set the initial password while the server is running"
  fi
  if ((${#NEO4J_PASSWORD} < 8)); then
    die "$SERVICE" "" "NEO4J_PASSWORD must be at least 8 characters (dbms.security.auth_minimum_password_length)"
  fi
  info "$SERVICE" "setting the initial password of user 'neo4j'"
  ensure_dirs
  if ! run_admin dbms set-initial-password "$NEO4J_PASSWORD" >>"$LOGFILE" 2>&1; then
    die "$SERVICE" "$LOGFILE" "neo4j-admin dbms set-initial-password failed"
  fi
}

# ---------------------------------------------------------------- health

python_bin() {
  if [[ -x "$VENV/bin/python" ]]; then
    printf '%s\n' "$VENV/bin/python"
  else
    printf '%s\n' python3
  fi
}

# bolt_query: exit 0 when Bolt answers RETURN 1 with our credentials; 3 on auth failure.
bolt_query() {
  NEO4J_URI="bolt://$BOLT_HOST:$BOLT_PORT" "$(python_bin)" - <<'PY'
import os, sys
try:
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError
except ImportError:
    sys.exit(4)
uri = os.environ["NEO4J_URI"]
auth = (os.environ["NEO4J_USER"], os.environ["NEO4J_PASSWORD"])
try:
    with GraphDatabase.driver(uri, auth=auth, connection_timeout=3) as driver:
        records, _, _ = driver.execute_query("RETURN 1 AS ok", database_="neo4j")
        sys.exit(0 if records and records[0]["ok"] == 1 else 1)
except AuthError as exc:
    print(exc, file=sys.stderr)
    sys.exit(3)
except Exception as exc:  # not up yet
    print(exc, file=sys.stderr)
    sys.exit(1)
PY
}

bolt_healthy() {
  port_open "$BOLT_HOST" "$BOLT_PORT" || return 1
  local rc=0
  bolt_query 2>/dev/null || rc=$?
  case "$rc" in
    0) return 0 ;;
    3) return 3 ;;
    4)
      # No Python driver available (fresh machine before the venv): fall back to the
      # server's own "Started." line in its user log after Bolt is listening.
      grep -q 'Started\.' "$LOGFILE" 2>/dev/null
      ;;
    *) return 1 ;;
  esac
}

cmd_wait() {
  if ! running_pid "$PIDFILE" "$MARKER" >/dev/null; then
    die "$SERVICE" "$LOGFILE" "not running (start it with deploy/neo4j.sh start)"
  fi
  await_bolt
}

# await_bolt: wait until the server just started (or found running) answers on Bolt. Right after
# start_bg the child may not have exec'd java yet, so this must not check the pid's command line
# (running_pid would drop the pid file of a server that is starting); wait_for only fails on exit.
await_bolt() {
  wait_healthy "$SERVICE" "$LOGFILE" "$PIDFILE" "$MARKER" "$START_TIMEOUT" \
    "answer from Bolt on $BOLT_HOST:$BOLT_PORT (see also $NEO4J_LOGS/debug.log)" bolt_healthy_or_auth
  # Distinguish "up but wrong password" from "up".
  local rc=0
  bolt_healthy || rc=$?
  if ((rc == 3)) && [[ "$NEO4J_USER" != neo4j ]]; then
    ensure_user
    rc=0
    bolt_healthy || rc=$?
  fi
  if ((rc == 3)); then
    die "$SERVICE" "$LOGFILE" "Bolt is up but user '$NEO4J_USER' cannot log in with NEO4J_PASSWORD (was var/neo4j/data initialised with another password? wipe var/neo4j/data to start over)"
  elif ((rc != 0)); then
    die "$SERVICE" "$LOGFILE" "Bolt health check failed"
  fi
  info "$SERVICE" "ready: bolt://$BOLT_HOST:$BOLT_PORT (user $NEO4J_USER)"
}

# ensure_user: NEO4J_USER is not "neo4j" (the only user set-initial-password knows): create
# it through the neo4j account, which has the same NEO4J_PASSWORD. Community has no roles;
# every user may read and write.
ensure_user() {
  info "$SERVICE" "creating user '$NEO4J_USER' (through the 'neo4j' account)"
  NEO4J_URI="bolt://$BOLT_HOST:$BOLT_PORT" "$(python_bin)" - <<'PY' >>"$LOGFILE" 2>&1 || true
import os
from neo4j import GraphDatabase
uri = os.environ["NEO4J_URI"]
password = os.environ["NEO4J_PASSWORD"]
with GraphDatabase.driver(uri, auth=("neo4j", password)) as driver:
    driver.execute_query(
        "CREATE USER $user IF NOT EXISTS SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
        {"user": os.environ["NEO4J_USER"], "password": password},
        database_="system",
    )
print("created user", os.environ["NEO4J_USER"])
PY
}

# Succeeds when healthy or when the only problem is authentication (so waits stop early).
# shellcheck disable=SC2317 # called through wait_for
bolt_healthy_or_auth() {
  local rc=0
  bolt_healthy || rc=$?
  ((rc == 0 || rc == 3))
}

# ---------------------------------------------------------------- start / stop / status

java_opts() {
  local -a opts=(
    "-Xms$HEAP" "-Xmx$HEAP"
    -XX:+UseG1GC
    -XX:-OmitStackTraceInFastThrow
    -XX:+UnlockExperimentalVMOptions
    -XX:+TrustFinalNonStaticFields
    -XX:+DisableExplicitGC
    -XX:+ExitOnOutOfMemoryError
    -Djdk.nio.maxCachedBufferSize=1024
    -Dio.netty.tryReflectionSetAccessible=true
    -Djdk.tls.ephemeralDHKeySize=2048
    -Djdk.tls.rejectClientInitiatedRenegotiation=true
    -XX:FlightRecorderOptions=stackdepth=256
    -XX:+UnlockDiagnosticVMOptions
    -XX:+DebugNonSafepoints
    --add-opens=java.base/java.nio=ALL-UNNAMED
    --add-opens=java.base/java.io=ALL-UNNAMED
    --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
    --enable-native-access=ALL-UNNAMED
    -Dlog4j2.disable.jmx=true
    -Dlog4j.layout.jsonTemplate.maxStringLength=32768
    -Dfile.encoding=UTF-8
  )
  printf '%s\n' "${opts[@]}"
  if [[ -n "${NEO4J_JAVA_OPTS:-}" ]]; then
    # shellcheck disable=SC2086
    printf '%s\n' ${NEO4J_JAVA_OPTS}
  fi
}

cmd_start() {
  ensure_dirs
  local pid
  if pid="$(running_pid "$PIDFILE" "$MARKER")"; then
    info "$SERVICE" "already running (pid $pid)"
    check_same_addr "$SERVICE" "$LOGFILE" "$PIDFILE" "$pid" "$BOLT_HOST:$BOLT_PORT"
    cmd_wait
    return 0
  fi
  cmd_build
  require_free_port "$SERVICE" "$LOGFILE" "$BOLT_HOST" "$BOLT_PORT"
  if [[ "$HTTP_ENABLED" == "true" ]]; then
    require_free_port "$SERVICE" "$LOGFILE" 127.0.0.1 "$HTTP_PORT"
  fi
  write_conf
  if ! system_db_exists; then
    cmd_password
  fi
  local java
  java="$(java_bin)"
  local -a opts
  mapfile -t opts < <(java_opts)
  printf '\n===== %s starting neo4j (heap %s, page cache %s, bolt %s:%s) =====\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$HEAP" "$PAGECACHE" "$BOLT_HOST" "$BOLT_PORT" >>"$LOGFILE"
  info "$SERVICE" "starting (log: $LOGFILE, debug log: $NEO4J_LOGS/debug.log)"
  DIE_LOG_OFFSET="$(log_offset "$LOGFILE")"
  (
    cd "$NEO4J_HOME"
    export NEO4J_HOME NEO4J_CONF="$NEO4J_CONF_DIR"
    start_bg "$PIDFILE" "$LOGFILE" "$java" "${opts[@]}" \
    -cp "$NEO4J_LIB/*:$NEO4J_PLUGINS/*" \
    "$ENTRY_CLASS" --home-dir="$NEO4J_HOME" --config-dir="$NEO4J_CONF_DIR" --console-mode
  )
  record_addr "$PIDFILE" "$BOLT_HOST:$BOLT_PORT"
  await_bolt
}

cmd_stop() {
  stop_pid "$SERVICE" "$PIDFILE" "$MARKER" "$STOP_TIMEOUT"
}

cmd_status() {
  local rc=0
  status_line "$SERVICE" "$PIDFILE" "$MARKER" || rc=$?
  if ((rc != 0)); then
    return "$rc"
  fi
  rc=0
  bolt_healthy || rc=$?
  case "$rc" in
    0) info "$SERVICE" "bolt://$BOLT_HOST:$BOLT_PORT answers" ;;
    3) info "$SERVICE" "bolt://$BOLT_HOST:$BOLT_PORT is up but rejects user '$NEO4J_USER'"; return 1 ;;
    *) info "$SERVICE" "bolt://$BOLT_HOST:$BOLT_PORT does not answer (yet)"; return 1 ;;
  esac
}

cmd_cypher() {
  local java
  java="$(java_bin)"
  "$java" -Xmx256m -cp "$NEO4J_LIB/*" "$SHELL_CLASS" \
    -a "bolt://$BOLT_HOST:$BOLT_PORT" -u "$NEO4J_USER" -p "$NEO4J_PASSWORD" "$@"
}

main() {
  local cmd="${1:-}"
  if (($# > 0)); then shift; fi
  case "$cmd" in
    build) cmd_build ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    wait) cmd_wait ;;
    password) cmd_password ;;
    conf) write_conf; info "$SERVICE" "wrote $NEO4J_CONF_DIR/neo4j.conf" ;;
    cypher) cmd_cypher "$@" ;;
    *) usage_die "usage: $0 {build|start|stop|status|wait|password|conf|cypher [cypher-shell args]}" ;;
  esac
}

# On one line: bash has parsed it whole before running, so editing this file while it
# runs cannot make bash read a changed tail afterwards.
main "$@"; exit "$?"
