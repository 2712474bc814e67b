#!/usr/bin/env bash
# Stops the broker started by start.sh: SIGTERM (controlled shutdown), then
# SIGKILL after $SSTAUDIT_KAFKA_STOP_TIMEOUT seconds.
#
#   deploy/kafka/stop.sh          # keep topics and offsets for the next start
#   deploy/kafka/stop.sh --wipe   # also delete the data directory
set -euo pipefail
# shellcheck source=deploy/kafka/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

wipe=false
for arg in "$@"; do
  case $arg in
    --wipe) wipe=true ;;
    -h | --help)
      sed -n '2,7p' "$0"
      exit 0
      ;;
    *) die "unknown argument $arg (usage: stop.sh [--wipe])" ;;
  esac
done

if pid=$(kafka_pid); then
  step "stopping broker pid $pid (SIGTERM, up to ${STOP_TIMEOUT}s)"
  start=$SECONDS
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    step "broker still running after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  step "stopped in $((SECONDS - start))s"
else
  step "not running (no live broker in $PID_FILE)"
fi
rm -f "$PID_FILE"

if $wipe; then
  case $DATA_DIR in
    "" | / | "$HOME" | "$REPO_ROOT"*) die "refusing to wipe $DATA_DIR" ;;
  esac
  step "wiping $DATA_DIR"
  rm -rf "$DATA_DIR"
fi
