#!/usr/bin/env bash
# Channel throughput: tryst's record layer against the JDK's raw AES-GCM and OpenSSL, one run.
# Usage: bench/channel.sh [BYTES] [ROUNDS]     (default 2 GiB, 3 rounds; medians are printed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/jdk.sh"
cd "$root"
bytes="${1:-2147483648}"
rounds="${2:-3}"
JAVA_HOME="$JDK" ./mvnw -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp >&2
cp="target/classes:target/test-classes:$(cat target/bench.cp)"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
# One core: the JVM is pinned to CPU 0 when taskset exists (the loopback row then shares that core).
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)
"${pin[@]}" "$JDK/bin/java" -Xmx3g -cp "$cp" dev.tryst.channel.ChannelBench "$bytes" "$rounds" > "$raw"
if command -v openssl >/dev/null; then
  for _ in $(seq "$rounds"); do
    # openssl speed prints k-bytes/s (1000 bytes) per block size; the last column is 65536-byte blocks.
    "${pin[@]}" openssl speed -evp aes-256-gcm -bytes 65536 -seconds 2 2>/dev/null \
      | awk '/^AES-256-GCM|^aes-256-gcm/ {v=$NF; sub(/k$/,"",v); printf "OpenSSL %s AES-256-GCM, 64 KiB, one thread\t%.0f\n", "'"$(openssl version | awk '{print $2}')"'", v/1000}' >> "$raw"
  done
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ossl=$(grep '^OpenSSL' "$raw" | cut -f2 | median || true)
printf '%-58s %10s %10s\n' "what (median of $rounds runs)" "MB/s" "vs OpenSSL"
cut -f1 "$raw" | awk '!seen[$0]++' | while IFS= read -r what; do
  m=$(grep -F "$what"$'\t' "$raw" | cut -f2 | median)
  ratio="-"
  [ -n "$ossl" ] && ratio=$(awk -v a="$m" -v b="$ossl" 'BEGIN {printf "%.2fx", a/b}')
  printf '%-58s %10s %10s\n' "$what" "$m" "$ratio"
done
