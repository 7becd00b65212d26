#!/usr/bin/env bash
# The NAT lab: real tryst processes on hosts behind emulated NATs, in network namespaces.
#
#   lab/nat-lab.sh matrix        every pair of none, fullcone, cone, symmetric, plus hairpin
#   lab/nat-lab.sh pair A B      one pair (A sends, B receives); A, B in none|fullcone|cone|symmetric|hairpin
#   lab/nat-lab.sh cut           a direct transfer whose path is cut midway: it must finish over the relay
#                                (LAB_SEND="COMMAND ARGS": the sender to run instead of 'tryst send --server
#                                198.18.0.1', given the file last; it must print "Code: CODE" on stderr)
#   lab/nat-lab.sh late          relay first, then direct: the direct path is blocked while the transfer starts
#                                (so it starts on the relay, which is slowed so that it lasts), then opened:
#                                the transfer must move to it, finish there verified, and the relay's byte
#                                counter (the server's /metrics) must not grow after the move
#   lab/nat-lab.sh udp           'tryst netcheck' on every pair: can a direct UDP path be punched?
#   lab/nat-lab.sh connect A B   identities: b pairs with a (a code at the server), a runs 'tryst listen --pipe',
#                                b 'tryst connect a'; SIZE_MIB each way through the pipe, both verified
#   lab/nat-lab.sh connect-matrix  connect on every pair, like matrix
#   lab/nat-lab.sh connect-cut   a direct connect session whose path is cut midway: it must move to the relay
#                                and finish, both ways intact, and both sides must say it moved
#
# Output: one tab-separated line per run, "RESULT<TAB>A<TAB>B<TAB>PATH<TAB>CONNECT_MS<TAB>NOTE" (A sends or
# listens, B receives or connects; for transfers PATH is the path the transfer ended on, CONNECT_MS the
# time from starting 'receive' to its first path, and NOTE has the time to finish);
# for udp: "RESULT<TAB>A<TAB>B<TAB>UDP (address or none)<TAB>MS<TAB>NOTE (sprayed, tcp path)".
# Needs root, iproute2 (ip netns) and nftables; JAVA and TRYST_JAR say what to run
# (default: JDK 25 found by scripts/jdk.sh, target/tryst.jar).
#
# Topology (every address in 198.18.0.0/15, the range reserved for benchmarks; the namespaces have
# no link to the machine's own network, so nothing leaves them):
#
#   [srv 198.18.0.1] ---+
#                       |  bridge br0 in namespace "inet": the public internet, 198.18.0.0/24
#   [nat a 198.18.0.11]-+-[nat b 198.18.0.12]   or a host with no NAT: 198.18.0.21 / .22
#        | lan 198.19.1.0/24     | lan 198.19.2.0/24
#   [host a 198.19.1.2]     [host b 198.19.2.2]      hairpin: host b is 198.19.1.3 behind nat a
#
# NATs (nftables in the router's namespace):
#   cone       masquerade: endpoint-independent mapping (the source port is kept when free),
#              address-and-port-dependent filtering (only replies get in)
#   symmetric  masquerade random,fully-random: a new random port for every connection
#   fullcone   masquerade persistent, and everything arriving from outside is forwarded to the
#              host (endpoint-independent filtering: anyone can reach a mapped port)
#   Like home routers, a NAT drops what arrives unasked (no RST from the router itself): the
#   router's own input chain drops new connections from outside.
#
# Every wait is bounded; everything is torn down on exit, also on failure or Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ -z "${JAVA:-}" ]; then
  . "$root/scripts/jdk.sh"
  JAVA="$JDK/bin/java"
fi
JAR="${TRYST_JAR:-$root/target/tryst.jar}"
[ -f "$JAR" ] || { echo "nat-lab: no $JAR; build first (./mvnw package -DskipTests)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "nat-lab: needs root (network namespaces)" >&2; exit 77; }
command -v nft >/dev/null || { echo "nat-lab: needs nftables (apt-get install nftables)" >&2; exit 77; }

ID="tl$$"                        # namespace prefix: several labs may run at once
WORK="$(mktemp -d /tmp/tryst-nat-lab.XXXXXX)"
SIZE_MIB="${SIZE_MIB:-4}"
JOPTS=(-XX:+UseSerialGC -XX:TieredStopAtLevel=1 ${LAB_JAVA_OPTS:-})
n_if=0

cleanup() {
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$ID-" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

ns() { local n="$1"; shift; ip netns exec "$ID-$n" "$@"; }
mkns() { ip netns add "$ID-$1"; ns "$1" ip link set lo up; }

# wire NS1 IF1 NS2 IF2: a veth pair between two namespaces
wire() {
  n_if=$((n_if + 1))
  local a="${ID}x${n_if}a" b="${ID}x${n_if}b"
  ip link add "$a" type veth peer name "$b"
  ip link set "$a" netns "$ID-$1"; ns "$1" ip link set "$a" name "$2"; ns "$1" ip link set "$2" up
  ip link set "$b" netns "$ID-$3"; ns "$3" ip link set "$b" name "$4"; ns "$3" ip link set "$4" up
}

# bridge NS BR IF: attach IF to bridge BR in NS
bridge() { ns "$1" ip link set "$3" master "$2"; }

# nat SIDE TYPE LAN_PREFIX HOST_IP: a router for SIDE (a|b) with the given NAT type
nat() {
  local side="$1" type="$2" lan="$3" host="$4" pub
  pub=$([ "$side" = a ] && echo 198.18.0.11 || echo 198.18.0.12)
  mkns "n$side"
  wire "n$side" pub inet "n$side"; bridge inet br0 "n$side"
  ns "n$side" ip addr add "$pub/24" dev pub
  ns "n$side" ip link add lan type bridge; ns "n$side" ip link set lan up
  ns "n$side" ip addr add "$lan.1/24" dev lan
  ns "n$side" sysctl -qw net.ipv4.ip_forward=1
  local masq="masquerade" pre=""
  case "$type" in
    cone) ;;
    symmetric) masq="masquerade random,fully-random" ;;
    fullcone) masq="masquerade persistent"
              pre="chain pre { type nat hook prerouting priority dstnat; policy accept; iifname \"pub\" dnat to $host; }" ;;
    *) echo "nat-lab: unknown NAT type $type" >&2; exit 2 ;;
  esac
  ns "n$side" nft -f - <<EOF
table ip tnat {
  chain post { type nat hook postrouting priority srcnat; policy accept; oifname "pub" $masq; }
  $pre
}
table inet tfilter {
  chain through { type filter hook forward priority filter; policy accept; }
  chain in { type filter hook input priority filter; policy accept; iifname "pub" ct state new drop; }
}
EOF
  if [ -n "${THROTTLE_DIRECT:-}" ]; then # the cut run: traffic to the other NAT is policed, the server's is not
    local peer; peer=$([ "$side" = a ] && echo 198.18.0.12 || echo 198.18.0.11)
    ns "n$side" nft add rule inet tfilter through ip daddr "$peer" limit rate over 4 mbytes/second drop
  fi
  if [ -n "${THROTTLE_RELAY:-}" ]; then # the late run: the relay is slow, so the transfer is still on it when direct opens
    ns "n$side" nft add rule inet tfilter through ip daddr 198.18.0.1 tcp dport 8080 limit rate over 2 mbytes/second drop
  fi
}

# host SIDE IP GATEWAY_NS LAN_PREFIX: a host behind router GATEWAY_NS (or on the public bridge when GATEWAY_NS is inet)
host() {
  local side="$1" ip="$2" gw="$3" lan="$4"
  mkns "h$side"
  wire "h$side" eth0 "$gw" "h$side"
  if [ "$gw" = inet ]; then
    bridge inet br0 "h$side"
    ns "h$side" ip addr add "$ip/24" dev eth0
  else
    bridge "$gw" lan "h$side"
    ns "h$side" ip addr add "$ip/24" dev eth0
    ns "h$side" ip route add default via "$lan.1"
  fi
}

# topology TYPE_A TYPE_B (TYPE_B = hairpin: b shares a's cone NAT)
topology() {
  cleanup
  mkns inet
  ns inet ip link add br0 type bridge; ns inet ip link set br0 up
  mkns srv
  wire srv eth0 inet srv; bridge inet br0 srv
  ns srv ip addr add 198.18.0.1/24 dev eth0
  case "$1" in
    none) host a 198.18.0.21 inet "" ;;
    *) nat a "$1" 198.19.1 198.19.1.2; host a 198.19.1.2 na 198.19.1 ;;
  esac
  case "$2" in
    none) host b 198.18.0.22 inet "" ;;
    hairpin) host b 198.19.1.3 na 198.19.1 ;;
    *) nat b "$2" 198.19.2 198.19.2.2; host b 198.19.2.2 nb 198.19.2 ;;
  esac
}

# await FILE REGEX SECONDS: wait for REGEX in FILE; prints the first match
await() {
  local deadline=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if grep -qE "$2" "$1" 2>/dev/null; then grep -oE "$2" "$1" | head -1; return 0; fi
    sleep 0.05
  done
  return 1
}

ms() { date +%s%3N; }

start_server() {
  mkdir -p "$WORK/srv"
  rm -f "$WORK/srv.log"   # not the last run's 'control listening': the new server's truncates it only once it runs
  ns srv env XDG_STATE_HOME="$WORK/srv" "$JAVA" "${JOPTS[@]}" -jar "$JAR" server --bind 198.18.0.1 --relay-port 8080 \
      --control-port 2311 --stun-port 3478 --state-dir "$WORK/srv/state" >"$WORK/srv.log" 2>&1 &
  await "$WORK/srv.log" 'control listening' 60 >/dev/null || { echo "nat-lab: server did not start" >&2; cat "$WORK/srv.log" >&2; return 1; }
}

TRYST=("$JAVA" "${JOPTS[@]}" -jar "$JAR")

# on SIDE DIR COMMAND...: COMMAND on host SIDE (a|b), with its own identity, contacts and state under
# DIR/SIDE, for at most 180 s
on() {
  local side="$1" d="$2"; shift 2
  ns "h$side" env XDG_CONFIG_HOME="$d/$side/config" XDG_STATE_HOME="$d/$side/state" timeout 180 "$@"
}

# lab_up NAME A B: the lab A B with its server up, and RUN, a fresh folder for one run (RUN/a, RUN/b)
lab_up() {
  RUN="$WORK/$1-$2-$3"
  rm -rf "$RUN"; mkdir -p "$RUN/a" "$RUN/b"
  topology "$2" "$3"
  start_server
}

# random_file FILE: SIZE_MIB of random bytes
random_file() { head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$1"; }

# cut_direct: drop everything between the two NATs; the server stays reachable from both
cut_direct() {
  ns na nft add rule inet tfilter through ip daddr 198.18.0.12 drop
  ns na nft add rule inet tfilter through ip saddr 198.18.0.12 drop
  ns nb nft add rule inet tfilter through ip daddr 198.18.0.11 drop
  ns nb nft add rule inet tfilter through ip saddr 198.18.0.11 drop
}

# block_direct / unblock_direct: the same as cut_direct, in a table of its own that can be dropped again
block_direct() {
  local s peer
  for s in a b; do
    peer=$([ "$s" = a ] && echo 198.18.0.12 || echo 198.18.0.11)
    ns "n$s" nft add table inet tlate
    ns "n$s" nft add chain inet tlate gate '{ type filter hook forward priority -10; policy accept; }'
    ns "n$s" nft add rule inet tlate gate ip daddr "$peer" drop
    ns "n$s" nft add rule inet tlate gate ip saddr "$peer" drop
  done
}
unblock_direct() { ns na nft delete table inet tlate; ns nb nft delete table inet tlate; }

# relay_bytes: the payload bytes the server's relay copied so far, from its /metrics (admin port, loopback)
relay_bytes() {
  ns srv curl -s --max-time 10 http://127.0.0.1:2312/metrics | awk '/^tryst_relay_bytes_total/ { s += $2 } END { printf "%d", s }'
}

# relay_pair_closed: waits (up to 30 s) until the relay holds no pair: both directions have left it
relay_pair_closed() {
  local i
  for ((i = 0; i < 300; i++)); do
    [ "$(ns srv curl -s --max-time 10 http://127.0.0.1:2312/metrics | awk '/^tryst_relay_pairs_open/ { printf "%d", $2 }')" = 0 ] && return 0
    sleep 0.1
  done
  return 1
}

# report RESULT A B PATH MS NOTE LOG...: the result line; on FAIL, the LOG files on stderr
report() {
  echo -e "$1\t$2\t$3\t$4\t$5\t$6"
  if [ "$1" = FAIL ]; then
    shift 6
    local f; for f in "$@"; do echo "--- $(basename "$f")"; cat "$f" 2>/dev/null || echo "(none)"; done >&2
  fi
  return 0
}

# transfer A B [cut|late]: one run; prints the result line
transfer() {
  local ta="$1" tb="$2" cut="${3:-}" late=""
  if [ "$cut" = late ]; then late=1; cut=""; fi
  lab_up run "$ta" "$tb"
  local dir="$RUN"
  mkdir -p "$dir/b/out"
  random_file "$dir/a/file.bin"
  if [ -n "$late" ]; then block_direct; fi
  local send_cmd=("${TRYST[@]}" send --server 198.18.0.1)
  if [ -n "${LAB_SEND:-}" ]; then read -ra send_cmd <<< "$LAB_SEND"; fi
  on a "$dir" "${send_cmd[@]}" "$dir/a/file.bin" >"$dir/send.out" 2>"$dir/send.err" &
  local send_pid=$!
  local code
  code=$(await "$dir/send.err" 'Code: [0-9a-z-]+' 60 | cut -d' ' -f2) \
    || { report FAIL "$ta" "$tb" - - "no code" "$dir/send.err"; cleanup; return 0; }
  local t0; t0=$(ms)
  on b "$dir" "${TRYST[@]}" receive --server 198.18.0.1 --yes --out "$dir/b/out" "$code" \
      >"$dir/recv.out" 2>"$dir/recv.err" &
  local recv_pid=$!
  local path="-" connect="-"
  if await "$dir/recv.err" 'Connected, [^;]+' 60 >/dev/null; then
    connect=$(( $(ms) - t0 ))
    path=$(grep -oE 'Connected, [^;]+' "$dir/recv.err" | head -1 | sed 's/^Connected, //')
  fi
  if [ -n "$cut" ]; then
    sleep 3
    cut_direct
  fi
  local at_move=""
  if [ -n "$late" ]; then
    sleep 2
    unblock_direct
    # the records written before the MOVE still drain through the relay; once both directions have
    # left it the relay closes the pair, and its counter must not move again
    if await "$dir/recv.err" 'Moved to a direct path' 30 >/dev/null && relay_pair_closed; then
      at_move=$(relay_bytes)
    fi
  fi
  local rs=0 ss=0
  wait "$recv_pid" || rs=$?
  local finish=$(( $(ms) - t0 ))
  if [ "$rs" != 0 ]; then
    kill "$send_pid" 2>/dev/null || true   # the receiver gave up: the sender would wait for nobody
  fi
  wait "$send_pid" || ss=$?
  local result=OK note="$SIZE_MIB MiB verified in $finish ms"
  if grep -q 'Moved to a direct path' "$dir/recv.err"; then # the path it ended on
    note="$note; started $path"
    path="direct, $(grep -oE 'Moved to a direct path, [^;]+' "$dir/recv.err" | head -1 | sed 's/^Moved to a direct path, //')"
  fi
  if [ "$rs" != 0 ] || [ "$ss" != 0 ]; then
    result=FAIL; note="exit send $ss receive $rs: $(tail -1 "$dir/recv.err")"
  elif ! cmp -s "$dir/a/file.bin" "$dir/b/out/file.bin"; then
    result=FAIL; note="received file differs"
  fi
  if [ -n "$cut" ]; then
    # both sides must have gone on through the relay: the receiver says so in words, the sender
    # (tryst send, or a LAB_SEND program printing its events) with "resuming" or a FellBack event
    if grep -q 'going on through the relay' "$dir/recv.err" && grep -q 'Connected, relayed via' "$dir/recv.err" \
        && grep -qE '; resuming|FellBack\[' "$dir/send.err"; then
      note="$note; after the cut: $(grep -oE 'Connected, relayed via [^;]+' "$dir/recv.err" | head -1 | sed 's/^Connected, //')"
    else
      result=FAIL; note="$note; no fallback to the relay seen"
    fi
  fi
  if [ -n "$late" ]; then
    local end; end=$(relay_bytes)
    if [ -z "$at_move" ]; then
      result=FAIL; note="$note; never moved to the direct path"
    elif [ "$end" != "$at_move" ]; then
      result=FAIL; note="$note; $(( end - at_move )) bytes passed the relay after the move"
    else
      note="$note; $(( at_move / 1048576 )) MiB through the relay before the move, $(( end - at_move )) bytes after"
      if [ "$at_move" -ge $(( SIZE_MIB * 1048576 )) ]; then result=FAIL; note="$note: the relay carried it all"; fi
    fi
  fi
  report "$result" "$ta" "$tb" "$path" "$connect" "$note" "$dir/send.err" "$dir/recv.err"
  cleanup
}

# netcheck A B: tryst netcheck on both hosts; prints the udp result line
netcheck() {
  local ta="$1" tb="$2"
  lab_up check "$ta" "$tb"
  local dir="$RUN"
  on a "$dir" "${TRYST[@]}" netcheck --server 198.18.0.1 >"$dir/a.out" 2>"$dir/a.err" &
  local a_pid=$!
  local code
  code=$(await "$dir/a.err" 'Code: [0-9a-z-]+' 60 | cut -d' ' -f2) \
    || { report FAIL "$ta" "$tb" - - "no code" "$dir/a.err"; cleanup; return 0; }
  on b "$dir" "${TRYST[@]}" netcheck --server 198.18.0.1 "$code" >"$dir/b.out" 2>"$dir/b.err" &
  local b_pid=$!
  local as=0 bs=0
  wait "$b_pid" || bs=$?
  wait "$a_pid" || as=$?
  local udp_a udp_b ms tcp note result=OK
  udp_a=$(awk -F'\t' '$1 == "udp" {print $2}' "$dir/a.out")
  udp_b=$(awk -F'\t' '$1 == "udp" {print $2}' "$dir/b.out")
  ms=$(awk -F'\t' '$1 == "udp" {print $3}' "$dir/b.out")
  tcp=$(awk -F'\t' '$1 == "tcp" {print $2}' "$dir/b.out")
  note="tcp: $tcp"
  grep -qP '^udp\t.*\tsprayed' "$dir/a.out" "$dir/b.out" && note="sprayed; $note"
  if [ "$as" != 0 ] || [ "$bs" != 0 ]; then
    result=FAIL; note="exit $as/$bs: $(tail -1 "$dir/b.err")"
  elif { [ "$udp_a" = none ] && [ "$udp_b" != none ]; } || { [ "$udp_a" != none ] && [ "$udp_b" = none ]; }; then
    result=FAIL; note="one side found udp, the other did not ($udp_a / $udp_b)"
  fi
  report "$result" "$ta" "$tb" "${udp_b:-none}" "${ms:--}" "$note" "$dir/a.out" "$dir/a.err" "$dir/b.out" "$dir/b.err"
  cleanup
}

# pair_hosts DIR: a and b become each other's contacts, "a" and "b", through a code at the lab's server
# (pairing meets like send and receive: through the NATs, directly or relayed)
pair_hosts() {
  local d="$1" code as=0 bs=0
  on a "$d" "${TRYST[@]}" pair --server 198.18.0.1 --as a --name b >"$d/pair-a.out" 2>"$d/pair-a.err" &
  local a_pid=$!
  code=$(await "$d/pair-a.err" 'Code: [0-9a-z-]+' 60 | cut -d' ' -f2) || { kill "$a_pid" 2>/dev/null; return 1; }
  on b "$d" "${TRYST[@]}" pair --server 198.18.0.1 --as b --name a "$code" >"$d/pair-b.out" 2>"$d/pair-b.err" || bs=$?
  if [ "$bs" != 0 ]; then kill "$a_pid" 2>/dev/null || true; fi   # b gave up: a would wait for nobody
  wait "$a_pid" || as=$?
  [ "$as" = 0 ] && [ "$bs" = 0 ]
}

# await_size FILE BYTES SECONDS: wait until FILE holds at least BYTES
await_size() {
  local deadline=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
    sleep 0.05
  done
  return 1
}

# feed FILE GO: FILE's first half, then, once the file GO exists (at most 120 s later), the rest
feed() {
  local half=$(( $(stat -c %s "$1") / 2 )) deadline=$((SECONDS + 120))
  head -c "$half" "$1"
  while [ ! -e "$2" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
  tail -c +$((half + 1)) "$1"
}

# session A B [cut]: one connect run, a behind A listening with --pipe, b behind B pairing with it and
# connecting; SIZE_MIB each way, both verified; prints the result line. With cut, each side holds back
# its second half until both have received the first and the path between the NATs is cut: the
# session must move to the relay, say so on both sides, and finish with nothing lost.
session() {
  local ta="$1" tb="$2" cut="${3:-}"
  lab_up conn "$ta" "$tb"
  local dir="$RUN"
  local logs=("$dir/pair-a.err" "$dir/pair-b.err" "$dir/listen.err" "$dir/connect.err")
  if ! pair_hosts "$dir"; then
    report FAIL "$ta" "$tb" - - "pairing failed: $(tail -qn1 "$dir/pair-a.err" "$dir/pair-b.err" 2>/dev/null | tr '\n' ' ')" "${logs[@]}"; cleanup; return 0
  fi
  random_file "$dir/a/file.bin"; random_file "$dir/b/file.bin"
  local in_a="$dir/a/file.bin" in_b="$dir/b/file.bin" feeders=()
  if [ -n "$cut" ]; then
    mkfifo "$dir/a/in" "$dir/b/in"
    feed "$in_a" "$dir/go" >"$dir/a/in" & feeders+=($!)
    feed "$in_b" "$dir/go" >"$dir/b/in" & feeders+=($!)
    in_a="$dir/a/in"; in_b="$dir/b/in"
  fi
  on a "$dir" "${TRYST[@]}" listen --server 198.18.0.1 --pipe <"$in_a" >"$dir/a/got.bin" 2>"$dir/listen.err" &
  local listen_pid=$!
  if ! await "$dir/listen.err" 'Listening as this identity' 60 >/dev/null; then
    kill "$listen_pid" "${feeders[@]}" 2>/dev/null || true
    report FAIL "$ta" "$tb" - - "the listener did not come online" "${logs[@]}"; cleanup; return 0
  fi
  local t0; t0=$(ms)
  on b "$dir" "${TRYST[@]}" connect --server 198.18.0.1 a <"$in_b" >"$dir/b/got.bin" 2>"$dir/connect.err" &
  local connect_pid=$!
  local path="-" connect="-"
  if await "$dir/connect.err" 'Connected to a, [^;]+' 60 >/dev/null; then
    connect=$(( $(ms) - t0 ))
    path=$(grep -oE 'Connected to a, [^;]+' "$dir/connect.err" | head -1 | sed 's/^Connected to a, //')
  fi
  local was_cut=""
  if [ -n "$cut" ]; then
    local half=$((SIZE_MIB * 512 * 1024))
    if await_size "$dir/a/got.bin" "$half" 60 && await_size "$dir/b/got.bin" "$half" 60; then
      cut_direct; was_cut=1
    fi
    touch "$dir/go"
  fi
  local cs=0 ls=0
  wait "$connect_pid" || cs=$?
  if [ "$cs" != 0 ]; then
    kill "$listen_pid" 2>/dev/null || true   # the connector gave up: the listener would wait for nobody
  fi
  wait "$listen_pid" || ls=$?
  kill "${feeders[@]}" 2>/dev/null || true
  local result=OK note="$SIZE_MIB MiB each way verified (sha256)" there paired
  paired=$(grep -oE 'Connected, [^;]+; pairing' "$dir/pair-b.err" | head -1 | sed 's/^Connected, //; s/; pairing$//')
  note="$note; paired ${paired:-?}"
  there=$(grep -oE 'b connected, [^(]+' "$dir/listen.err" | head -1 | sed 's/^b connected, //; s/ $//')
  if [ "$cs" != 0 ] || [ "$ls" != 0 ]; then
    result=FAIL; note="exit listen $ls connect $cs: $(tail -1 "$dir/connect.err")"
  elif [ "$(sha256sum <"$dir/a/file.bin")" != "$(sha256sum <"$dir/b/got.bin")" ]; then
    result=FAIL; note="b received other bytes than a sent"
  elif [ "$(sha256sum <"$dir/b/file.bin")" != "$(sha256sum <"$dir/a/got.bin")" ]; then
    result=FAIL; note="a received other bytes than b sent"
  elif [ "${there%%,*}" != "${path%%,*}" ]; then
    result=FAIL; note="the two sides disagree on the path: listener $there, connector $path"
  fi
  # a session that started on the relay (relay first, on a busy machine) and moved: the path it ended on
  # (the listener says only where it started)
  local moved
  moved=$({ grep -oE 'Moved to a direct path to a, [^;]+\.' "$dir/connect.err" || true; } | head -1 | sed 's/^Moved to a direct path to a, //; s/\.$//')
  if [ -n "$moved" ] && [ -z "$cut" ]; then
    note="$note; started ${path}"; path="$moved"
  fi
  if [ -n "$cut" ]; then
    # both sides must say the session moved to the relay: the connector in words, the listener in its log
    local moved_b moved_a
    moved_b=$(sed -nE 's/^The path to a broke \((.*)\); going on (relayed via [^ ]+)\.$/\2 (\1)/p' "$dir/connect.err" | head -1)
    moved_a=$(grep -oE 'b moved to relayed via [^ ]+' "$dir/listen.err" | head -1 | sed 's/^b moved to //')
    if [ "${path%%,*}" != direct ] || [ -z "$was_cut" ]; then
      result=FAIL; note="$note; no direct path to cut (path $path, halves received: ${was_cut:-no})"
    elif [ -n "$moved_b" ] && [ -n "$moved_a" ]; then
      note="$note; after the cut: $moved_b"
    else
      result=FAIL; note="$note; no move to the relay seen (connector: ${moved_b:-none}, listener: ${moved_a:-none})"
    fi
  fi
  report "$result" "$ta" "$tb" "$path" "$connect" "$note" "${logs[@]}"
  cleanup
}

# every_pair RUN: RUN A B for every pair of NAT types, and for a cone NAT's hairpin
every_pair() {
  local types=(none fullcone cone symmetric) i j
  for ((i = 0; i < ${#types[@]}; i++)); do
    for ((j = i; j < ${#types[@]}; j++)); do
      "$1" "${types[$i]}" "${types[$j]}"
    done
  done
  "$1" cone hairpin
}

case "${1:-matrix}" in
  udp) every_pair netcheck ;;
  netcheck) netcheck "$2" "$3" ;;
  matrix) every_pair transfer ;;
  pair) transfer "$2" "$3" ;;
  connect-matrix) every_pair session ;;
  connect) session "$2" "$3" ;;
  shell)
    # builds the topology for A B with a running server and opens a shell in the lab's folder;
    # hosts are "ip netns exec $ID-ha ..." (a) and "$ID-hb" (b); everything goes when the shell exits
    topology "$2" "$3"; start_server
    echo "nat-lab: namespaces $ID-{srv,na,nb,ha,hb,inet}; work in $WORK" >&2
    ID="$ID" WORK="$WORK" JAVA="$JAVA" JAR="$JAR" bash -i ;;
  cut)
    # slow the direct path down so that the cut lands midway (no netem here: a policing rule)
    SIZE_MIB="${SIZE_MIB_CUT:-48}"
    THROTTLE_DIRECT=1
    transfer cone cone cut
    ;;
  late)
    SIZE_MIB="${SIZE_MIB_LATE:-24}"
    THROTTLE_RELAY=1
    transfer cone cone late
    ;;
  connect-cut) session cone cone cut ;;
  *) echo "usage: $0 matrix | pair A B | cut | late | udp | netcheck A B | connect A B | connect-matrix | connect-cut | shell A B" >&2
     exit 2 ;;
esac
