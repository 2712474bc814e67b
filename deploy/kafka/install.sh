#!/usr/bin/env bash
# Resolves the Apache Kafka broker (org.apache.kafka:kafka_2.13) and its runtime
# dependencies from Maven Central into $SSTAUDIT_CACHE/kafka-<version>/libs.
# Idempotent: does nothing when the class path is already complete.
set -euo pipefail
# shellcheck source=deploy/kafka/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [[ -f $KAFKA_LIBS/.complete ]]; then
  step "kafka $KAFKA_VERSION already installed in $KAFKA_LIBS"
  exit 0
fi

command -v java >/dev/null || die "java not found (Kafka $KAFKA_VERSION needs Java 17+)"
command -v mvn >/dev/null || die "mvn not found (needed once to resolve the broker jars from Maven Central)"

mvn_args=(-B -q -ntp -Dstyle.color=never -f "$KAFKA_DIR/pom.xml" "-Dkafka.version=$KAFKA_VERSION")
if [[ -n ${SSTAUDIT_MAVEN_REPO:-} ]]; then
  mvn_args+=("-Dmaven.repo.local=$SSTAUDIT_MAVEN_REPO")
fi

mkdir -p "$KAFKA_HOME"
tmp=$(mktemp -d "$KAFKA_HOME/libs.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

step "resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION runtime class path from Maven Central"
start=$SECONDS
if ! mvn "${mvn_args[@]}" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$tmp/jars" >"$tmp/mvn.log" 2>&1; then
  sed 's/\x1b\[[0-9;]*m//g' "$tmp/mvn.log" >&2
  die "mvn could not resolve kafka_2.13:$KAFKA_VERSION (is Maven Central reachable?)"
fi

[[ -f $tmp/jars/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after resolve"
touch "$tmp/jars/.complete"
rm -rf "$KAFKA_LIBS"
mv "$tmp/jars" "$KAFKA_LIBS"
step "installed $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS ($((SECONDS - start))s)"
