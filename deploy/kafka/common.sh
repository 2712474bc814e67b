# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this file
# Shared settings for deploy/kafka/*.sh; sourced, not run.
#
# Everything downloaded or written lives outside the repository:
#   $SSTAUDIT_CACHE/kafka-<version>/libs     broker class path (resolved by install.sh)
#   $SSTAUDIT_CACHE/kafka-data-<port>/       storage, config, logs and pidfile of one broker

KAFKA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$KAFKA_DIR/../.." && pwd)

KAFKA_VERSION=${SSTAUDIT_KAFKA_VERSION:-4.4.0}
CACHE_DIR=${SSTAUDIT_CACHE:-$HOME/.cache/sstaudit}
KAFKA_HOME=$CACHE_DIR/kafka-$KAFKA_VERSION
KAFKA_LIBS=$KAFKA_HOME/libs

KAFKA_PORT=${SSTAUDIT_KAFKA_PORT:-29092}
CONTROLLER_PORT=${SSTAUDIT_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
KAFKA_HOST=127.0.0.1
BOOTSTRAP=$KAFKA_HOST:$KAFKA_PORT

DATA_DIR=${SSTAUDIT_KAFKA_DATA:-$CACHE_DIR/kafka-data-$KAFKA_PORT}
PID_FILE=$DATA_DIR/kafka.pid
CONFIG_FILE=$DATA_DIR/server.properties
LOG4J_FILE=$DATA_DIR/log4j2.properties
LOG_DIR=$DATA_DIR/logs
LOG_FILE=$LOG_DIR/server.log
CONSOLE_FILE=$LOG_DIR/console.log

KAFKA_HEAP=${SSTAUDIT_KAFKA_HEAP:-512m}
START_TIMEOUT=${SSTAUDIT_KAFKA_START_TIMEOUT:-120}
STOP_TIMEOUT=${SSTAUDIT_KAFKA_STOP_TIMEOUT:-30}

step() { printf 'kafka: %s\n' "$*"; }
die() { printf 'kafka: error: %s\n' "$*" >&2; exit 1; }

# kafka_pid prints the pid from the pidfile when that process is alive and is
# our broker (guards against a stale pidfile whose pid was reused).
kafka_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r /proc/$pid/cmdline ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka' || return 1
  fi
  printf '%s\n' "$pid"
}

# port_open reports whether something accepts TCP connections on 127.0.0.1:$1.
port_open() {
  (exec 3<>"/dev/tcp/$KAFKA_HOST/$1") 2>/dev/null
}

log_tail() {
  local f
  for f in "$LOG_FILE" "$CONSOLE_FILE"; do
    if [[ -s $f ]]; then
      printf -- '--- last 40 lines of %s ---\n' "$f" >&2
      tail -n 40 "$f" >&2
    fi
  done
}
