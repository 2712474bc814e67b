#!/usr/bin/env bash
# Starts a single-node Apache Kafka (KRaft, combined broker+controller) on
# loopback for integration tests and local runs. Idempotent: when our broker is
# already running and answering, it says so and exits 0.
#
#   SSTAUDIT_KAFKA_PORT=29092 deploy/kafka/start.sh
#
# See deploy/kafka/README.md for the environment variables.
set -euo pipefail
# shellcheck source=deploy/kafka/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

command -v go >/dev/null || die "go not found (the readiness probe is deploy/kafka/topics)"

probe() { # probe SECONDS: waits until the broker answers a metadata request
  (cd "$REPO_ROOT" && go run ./deploy/kafka/topics -brokers "$BOOTSTRAP" -wait "${1}s" -q)
}

if pid=$(kafka_pid); then
  if probe 30 2>/dev/null; then
    step "already running (pid $pid) at $BOOTSTRAP"
    exit 0
  fi
  die "broker pid $pid is running but not answering at $BOOTSTRAP; run deploy/kafka/stop.sh"
fi
if port_open "$KAFKA_PORT" || port_open "$CONTROLLER_PORT"; then
  die "port $KAFKA_PORT or $CONTROLLER_PORT is in use by another process; set SSTAUDIT_KAFKA_PORT"
fi

"$KAFKA_DIR/install.sh"
classpath=$(find "$KAFKA_LIBS" -name '*.jar' | sort | tr '\n' ':')

mkdir -p "$DATA_DIR" "$LOG_DIR"
step "writing $CONFIG_FILE (PLAINTEXT $BOOTSTRAP, CONTROLLER $KAFKA_HOST:$CONTROLLER_PORT)"
cat >"$CONFIG_FILE" <<PROPS
# Written by deploy/kafka/start.sh; rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=$KAFKA_HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR/kraft-logs

# One node: every internal topic has replication factor 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Tests create their topics explicitly and want fast group joins and failover.
auto.create.topics.enable=false
num.partitions=1
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

# Sized for a 2-core machine.
num.network.threads=2
num.io.threads=4
log.retention.hours=24
log.cleaner.backoff.ms=1000
PROPS

cat >"$LOG4J_FILE" <<PROPS
# Written by deploy/kafka/start.sh.
appender.file.type = RollingFile
appender.file.name = file
appender.file.fileName = $LOG_FILE
appender.file.filePattern = $LOG_FILE.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
PROPS

java_opts=(
  "-Xms${KAFKA_HEAP}" "-Xmx${KAFKA_HEAP}"
  -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent
  -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$LOG4J_FILE"
  "-Dkafka.logs.dir=$LOG_DIR"
  -cp "$classpath"
)

if [[ ! -f $DATA_DIR/kraft-logs/meta.properties ]]; then
  # A base64url UUID, as kafka-storage random-uuid prints. Like Kafka's own
  # Uuid.randomUuid, never one starting with '-': the format tool would read it
  # as an option (about 1 start in 64 failed that way).
  cluster_id=-
  while [ "${cluster_id#-}" != "$cluster_id" ]; do
    cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  step "formatting KRaft storage in $DATA_DIR/kraft-logs (cluster $cluster_id)"
  java "${java_opts[@]}" kafka.tools.StorageTool format --standalone \
    -t "$cluster_id" -c "$CONFIG_FILE" >"$LOG_DIR/format.log" 2>&1 ||
    { cat "$LOG_DIR/format.log" >&2; die "storage format failed"; }
fi

step "starting kafka $KAFKA_VERSION (heap $KAFKA_HEAP, log $LOG_FILE)"
start=$SECONDS
# setsid + nohup: the broker outlives this script and the terminal or make
# that ran it; all its output goes to files so callers do not wait on pipes.
setsid nohup java "${java_opts[@]}" kafka.Kafka "$CONFIG_FILE" \
  >"$CONSOLE_FILE" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$PID_FILE"

step "waiting up to ${START_TIMEOUT}s for $BOOTSTRAP to answer metadata (pid $pid)"
deadline=$((SECONDS + START_TIMEOUT))
until port_open "$KAFKA_PORT"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    log_tail
    rm -f "$PID_FILE"
    die "broker exited during start-up"
  fi
  if ((SECONDS >= deadline)); then
    log_tail
    die "broker not listening on $BOOTSTRAP after ${START_TIMEOUT}s (still running as pid $pid; deploy/kafka/stop.sh stops it)"
  fi
  sleep 0.2
done
remaining=$((deadline - SECONDS))
((remaining > 5)) || remaining=5
if ! probe "$remaining"; then
  log_tail
  die "broker does not answer metadata at $BOOTSTRAP (pid $pid; deploy/kafka/stop.sh stops it)"
fi
step "ready at $BOOTSTRAP in $((SECONDS - start))s (pid $pid; stop with deploy/kafka/stop.sh)"
