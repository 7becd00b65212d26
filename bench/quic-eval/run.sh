#!/usr/bin/env bash
# One command: build, then run the side-by-side benchmark (args: [bytes] [rounds] [warmupBytes]) or `./run.sh demo`.
set -euo pipefail
cd "$(dirname "$0")"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
../../mvnw -B -q -f pom.xml package
CP=target/classes:$(ls target/lib/*.jar | tr '\n' ':')
if [[ "${1:-}" == demo ]]; then shift; exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" eval.Demo "$@"; fi
exec "$JAVA_HOME/bin/java" -cp "$CP" eval.Bench "$@"
