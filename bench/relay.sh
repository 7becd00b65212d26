#!/usr/bin/env bash
# Relay pipe throughput: the `tryst server` relay against socat (default and 256 KiB buffers) and a
# direct loopback connection, one run, one table, ratios from this run. Loopback (127.0.0.1) only.
# Every row uses the same plain (unencrypted) Java client pair (dev.tryst.bench.RelayBench, test
# classpath): one thread sends BYTES from a direct buffer and half-closes, one drains to EOF; timed
# from both ends connected to EOF. Relay CPU is utime+stime of the relay process during the transfer.
# Usage: bench/relay.sh [BYTES] [ROUNDS]     (default 1 GiB, 3 rounds; medians are printed)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/jdk.sh"
cd "$root"
bytes="${1:-1073741824}"
rounds="${2:-3}"
case "$bytes$rounds" in *[!0-9]*) echo "usage: bench/relay.sh [BYTES] [ROUNDS]" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] || { echo "ROUNDS must be at least 1" >&2; exit 2; }

JAVA_HOME="$JDK" ./mvnw -q -B -ntp test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp >&2
[ -f target/tryst.jar ] || JAVA_HOME="$JDK" ./mvnw -q -B -ntp -DskipTests package >&2
cp="target/classes:target/test-classes:$(cat target/bench.cp)"
client=("$JDK/bin/java" -XX:+UseParallelGC -Xmx256m -cp "$cp" dev.tryst.bench.RelayBench)

tmp=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}" $(cat "$tmp"/*.pid 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tck=$(getconf CLK_TCK)
# CPU seconds (user+system) used so far by a live process; fields counted after the ")" of comm.
cpu_of() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$tck" '{printf "%.2f", ($12 + $13) / t}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# A TCP port nothing on this machine uses in any state, below the ephemeral range (32768+).
free_port() {
  local used p i
  used=$(awk 'NR > 1 {split($2, a, ":"); print a[2]}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
  for i in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    grep -qx "$(printf '%04X' "$p")" <<<"$used" || { echo "$p"; return 0; }
  done
  echo "no free port found" >&2; return 1
}

raw="$tmp/raw"   # lines: what<TAB>MB/s<TAB>relay CPU seconds
: > "$raw"
relay_buffer="${RELAY_BUFFER:-262144}"   # the server's default
row_tryst="tryst server relay ($((relay_buffer / 1024)) KiB, JVM process)"
row_socat="socat relay, default buffer (8 KiB)"
row_socat256="socat relay, -b262144"
row_direct="direct loopback, no relay (ceiling)"

# 1. tryst server as a real process, started once like a long-lived server; port 0, read from its log.
"$JDK/bin/java" -XX:+UseParallelGC -jar target/tryst.jar server --bind 127.0.0.1 --relay-port 0 --buffer-size "$relay_buffer" 2> "$tmp/server.err" &
server=$!
pids+=("$server")
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*relay listening on .*:\([0-9][0-9]*\)$/\1/p' "$tmp/server.err" | head -n1)
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || { echo "tryst server did not start:" >&2; cat "$tmp/server.err" >&2; exit 1; }
# One untimed quarter-size pair first so the server's JIT has seen the pipe loop, as it would in service.
"${client[@]}" tryst-pair 127.0.0.1 "$port" $((bytes / 4 + 1)) > /dev/null

have_socat=1
command -v socat >/dev/null || have_socat=0
[ "$have_socat" = 1 ] || echo "socat not installed (apt-get install -y socat): skipping the socat rows" >&2

# socat without `fork` serves one connection and exits, so it is started per round and its CPU is
# read by `times` in its own subshell once it has been reaped. socat cannot staple two dialers: the
# receiving client listens on P2, socat listens on P1 and dials P2 when the sender connects to P1.
socat_round() { # $1 = row name, rest = extra socat options
  local what="$1" p1 p2 mbps cpu
  shift
  p1=$(free_port); p2=$(free_port)
  [ "$p1" != "$p2" ] || p2=$((p1 + 1))
  rm -f "$tmp/socat.times"
  ( socat "$@" "TCP-LISTEN:$p1,bind=127.0.0.1,reuseaddr" "TCP:127.0.0.1:$p2" &
    echo $! > "$tmp/socat.pid"
    wait $! || true
    times > "$tmp/socat.times" ) &
  local sub=$!
  mbps=$("${client[@]}" forward-pair "$p2" "$p1" "$bytes")
  # socat exits on its own once both directions are closed (its -t default is 0.5 s); bounded wait.
  for _ in $(seq 100); do [ -s "$tmp/socat.times" ] && break; sleep 0.1; done
  kill "$(cat "$tmp/socat.pid")" 2>/dev/null || true
  wait "$sub" 2>/dev/null || true
  rm -f "$tmp/socat.pid"
  # second line of `times`: children's user and system time, e.g. "0m0.120s 0m1.340s"
  cpu=$(sed -n 2p "$tmp/socat.times" 2>/dev/null \
        | awk '{n = 0; for (i = 1; i <= 2; i++) {split($i, a, "m"); sub(/s$/, "", a[2]); n += a[1] * 60 + a[2]} printf "%.2f", n}')
  printf '%s\t%s\t%s\n' "$what" "$mbps" "${cpu:--}" >> "$raw"
}

for r in $(seq "$rounds"); do
  echo "round $r/$rounds" >&2
  before=$(cpu_of "$server")
  mbps=$("${client[@]}" tryst-pair 127.0.0.1 "$port" "$bytes")
  after=$(cpu_of "$server")
  printf '%s\t%s\t%s\n' "$row_tryst" "$mbps" "$(awk -v a="$after" -v b="$before" 'BEGIN {printf "%.2f", a - b}')" >> "$raw"
  if [ "$have_socat" = 1 ]; then
    socat_round "$row_socat"
    socat_round "$row_socat256" -b262144
  fi
  printf '%s\t%s\t%s\n' "$row_direct" "$("${client[@]}" direct "$bytes")" "-" >> "$raw"
done

base=$(grep -F "$row_socat256"$'\t' "$raw" | cut -f2 | median || true)
printf '%s, %s bytes, loopback, %s cores\n' "relay pipe throughput" "$bytes" "$(nproc)"
printf '%-44s %8s %15s %12s\n' "what (median of $rounds runs)" "MB/s" "vs socat-b256k" "relay CPU s"
for what in "$row_tryst" "$row_socat" "$row_socat256" "$row_direct"; do
  grep -qF "$what"$'\t' "$raw" || continue
  m=$(grep -F "$what"$'\t' "$raw" | cut -f2 | median)
  c=$(grep -F "$what"$'\t' "$raw" | cut -f3 | grep -v '^-$' | median || true)
  ratio="-"
  [ -n "$base" ] && ratio=$(awk -v a="$m" -v b="$base" 'BEGIN {printf "%.2fx", a/b}')
  printf '%-44s %8s %15s %12s\n' "$what" "$m" "$ratio" "${c:--}"
done
