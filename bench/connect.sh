#!/usr/bin/env bash
# Port forwarding throughput: one TCP stream of BYTES through `tryst forward` → `tryst listen
# --expose` (direct path, and with --no-direct through the `tryst server` relay) beside `ssh -L` to a
# real sshd and a plain loopback connection, all on this machine. One run, one table, ratios from
# this run.
#
# Loopback only. Run as root, the script re-executes itself in a fresh network namespace
# (`unshare -n`) whose only interface is `lo`: nothing can leave the machine, no port can collide
# with other work, and tryst's direct path is 127.0.0.1 too. TRYST_BENCH_NETNS=0 stays on the host
# network (loopback addresses; tryst's direct path may then use another local address, which the
# kernel also carries over loopback).
#
# Every row moves the same random file (made once, in /dev/shm when it fits) with the same two small
# programs (Python, written to the temp dir): a sender that connects, sendfile()s the file and
# half-closes, and a sink that accepts one connection on 127.0.0.1:SINK and reads to EOF. The sink
# counts the bytes (a short count is FAILED); in the first round of every row it also checks the
# SHA-256 of what arrived. MB/s = BYTES / 10^6 / (sink saw EOF − sender began to connect), both
# read from CLOCK_MONOTONIC; the round's stream open (ssh channel, tryst OPEN) is inside that time.
# The forwarders are long-lived, started once like a user's `ssh -L` or `tryst forward`:
#   plain   sender → sink (the ceiling: the same programs, no forwarder)
#   socat   sender → socat -b262144 (one plain user-space hop) → sink
#   ssh     sender → ssh -N -L (OpenSSH client) ⇒ sshd on 127.0.0.1 (throwaway host and user keys,
#           its own config) → sink; once with ssh's default cipher, once with -c aes256-gcm
#           (tryst's cipher)
#   tryst   sender → tryst forward PEER L:5201 ⇒ tryst listen --expose 5201=127.0.0.1:SINK → sink,
#           two identities paired through a local `tryst server` (TLS control, trust on first use);
#           direct path, and a second forward with --no-direct through the server's relay. The path
#           each took is read from its log and checked.
# Round 1 of every row is the SHA-256-checked one and warms the JVMs; its MB/s is shown apart
# ("1st, checked") and the medians are over rounds 2..ROUNDS+1.
# CPU s/GiB: utime+stime of the forwarding processes over the timed rounds per GiB carried, from
# /proc: ssh client / sshd (all its processes); tryst forward / listen / server (the relay row's
# server does the relaying; on the direct row it only did the rendezvous). Sender and sink are the
# same for every row and not counted.
# Usage: bench/connect.sh [BYTES] [ROUNDS]   (default 1 GiB, 3 timed rounds; medians are printed)
#        TRYST_BENCH_ONLY=REGEX runs only rows whose key (plain socat ssh ssh-gcm tryst tryst-relay)
#        matches (grep -E); the plain row always runs, it is the base of the ratios.
#        TRYST_BENCH_TIMEOUT=SECONDS overrides the per-transfer timeout (default 60 + BYTES / 10 MB/s).
#        TRYST_BENCH_LOGS=DIR keeps the logs of the servers, forwarders and listener there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/jdk.sh"
cd "$root"
size="${1:-1073741824}"
rounds="${2:-3}"
case "$size$rounds" in *[!0-9]*|"") echo "usage: bench/connect.sh [BYTES] [ROUNDS]" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] && [ "$size" -ge 1 ] || { echo "BYTES and ROUNDS must be at least 1" >&2; exit 2; }
for t in timeout python3 socat ssh ssh-keygen /usr/sbin/sshd sha256sum; do
  command -v "$t" >/dev/null || { echo "bench/connect.sh: needs $t (apt-get install openssh-server openssh-client socat python3)" >&2; exit 1; }
done

# Build before entering the namespace: Maven may need the network.
[ -f target/tryst.jar ] || JAVA_HOME="$JDK" ./mvnw -q -B -ntp -DskipTests package >&2
"$root/tryst" --version >/dev/null 2>&1 || true   # the launcher's copy and AOT cache, outside any timing

if [ -z "${TRYST_BENCH_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null \
    && command -v ip >/dev/null && unshare -n true 2>/dev/null; then
  exec env TRYST_BENCH_NETNS=1 unshare -n bash "${BASH_SOURCE[0]}" "$@"
fi
netns=0
if [ "${TRYST_BENCH_NETNS:-}" = 1 ]; then
  ip link set lo up
  links=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
  [ "$links" = "lo " ] || { echo "namespace has interfaces besides lo: $links" >&2; exit 1; }
  netns=1
fi

base=${TMPDIR:-/tmp}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  avail_k=$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')
  [ "${avail_k:-0}" -gt $(((size + 300000000) / 1024)) ] && base=/dev/shm
fi
tmp=$(mktemp -d "$base/tryst-connect.XXXXXX")
chmod 700 "$tmp"
pids=()      # `timeout` wrappers of the long-lived processes
xfer=()      # sender and sink of the transfer under way
tree_of() {  # a process and all its descendants, children first (bounded depth)
  local p=$1 depth=${2:-0} c
  [ "$depth" -lt 8 ] || return 0
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_of "$c" $((depth + 1)); done
  echo "$p"
}
cleanup() {
  local p q
  trap - INT TERM
  for p in "${xfer[@]}" "${pids[@]}"; do
    for q in $(tree_of "$p"); do kill "$q" 2>/dev/null || true; done
  done
  # Bounded: anything still there after 5 s is killed hard.
  for _ in $(seq 50); do
    q=""
    for p in "${xfer[@]}" "${pids[@]}"; do kill -0 "$p" 2>/dev/null && q=1; done
    [ -z "$q" ] && break
    sleep 0.1
  done
  for p in "${xfer[@]}" "${pids[@]}"; do
    for q in $(tree_of "$p"); do kill -9 "$q" 2>/dev/null || true; done
  done
  wait 2>/dev/null || true
  if [ -n "${TRYST_BENCH_LOGS:-}" ] && [ -d "$tmp" ]; then
    mkdir -p "$TRYST_BENCH_LOGS" && cp "$tmp"/*.log "$TRYST_BENCH_LOGS"/ 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tck=$(getconf CLK_TCK)
cpu_of() { # summed utime+stime in seconds of the given live processes
  local p
  for p in "$@"; do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null || true; done \
    | awk -v t="$tck" '{n += $12 + $13} END {printf "%.2f", n / t}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
free_port() {
  local used p i
  used=$(awk 'NR > 1 {split($2, a, ":"); print a[2]}' /proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u)
  for i in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    grep -qx "$(printf '%04X' "$p")" <<<"$used" || { echo "$p"; return 0; }
  done
  echo "no free port found" >&2; return 1
}
listening() { # $1 = port
  grep -q "^ *[0-9]*: [0-9A-F]*:$(printf '%04X' "$1") [0-9A-F]*:0000 0A" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Long-lived process under a generous `timeout` (a last resort if this script is killed hard);
# sets $bg to the process's own pid (the child of `timeout`) once READY (a shell test) holds.
limit=$((3600 + rounds * size / 2000000))
start_bg() { # $1 = name, $2 = readiness test (eval'd), rest = command; output to $tmp/NAME.log
  local name=$1 ready=$2 t i
  shift 2
  timeout -k 5 "$limit" "$@" < /dev/null > "$tmp/$name.log" 2>&1 &
  t=$!
  pids+=("$t")
  bg=""
  for i in $(seq 600); do   # 60 s
    [ -n "$bg" ] || bg=$(cat /proc/"$t"/task/*/children 2>/dev/null | awk '{print $1}') || bg=""
    if [ -n "$bg" ] && eval "$ready"; then return 0; fi
    kill -0 "$t" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start; its log:" >&2
  tail -n 20 "$tmp/$name.log" >&2
  exit 1
}

# ---------------------------------------------------------------- data, sender, sink
load0=$(cut -d' ' -f1-3 /proc/loadavg)   # shown with the table: this machine is shared
echo "making $size random bytes in $tmp ..." >&2
head -c "$size" /dev/urandom > "$tmp/data"
want=$(sha256sum "$tmp/data" | cut -d' ' -f1)
cat > "$tmp/io.py" <<'EOF'
import hashlib, socket, sys, time
BUF = 262144
if sys.argv[1] == "sink":   # sink PORT READYFILE [SHA256]: one connection, read to EOF
    port, ready = int(sys.argv[2]), sys.argv[3]
    h = hashlib.sha256() if len(sys.argv) > 4 else None
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(1)
    open(ready, "w").close()
    c, _ = s.accept()
    s.close()
    buf = bytearray(BUF)
    mv = memoryview(buf)
    got = 0
    while True:
        k = c.recv_into(buf)
        if not k:
            break
        got += k
        if h:
            h.update(mv[:k])
    t1 = time.monotonic()
    c.close()
    print("%.6f %d %s" % (t1, got, h.hexdigest() if h else "-"))
else:                       # send PORT FILE: connect, sendfile, half-close, wait (bounded) for the close
    port, path = int(sys.argv[2]), sys.argv[3]
    t0 = time.monotonic()
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    c.settimeout(None)
    with open(path, "rb") as f:
        sent = c.sendfile(f)
    c.shutdown(socket.SHUT_WR)
    c.settimeout(30)
    closed = "closed"
    try:
        while c.recv(65536):
            pass
    except OSError as e:
        closed = "noclose:" + type(e).__name__
    print("%.6f %d %s" % (t0, sent, closed))
EOF
T=$((60 + size / 10000000))
T=${TRYST_BENCH_TIMEOUT:-$T}
sink_port=$(free_port)

# One stream to PORT; sets $result to "MBps" or "FAILED why". $2 = check the SHA-256 too.
transfer() { # $1 = port the sender connects to, $2 = 1 to check the hash
  local port=$1 check=${2:-0} spid kpid i t0 t1 got hash sent closed rs=0 ss=0
  rm -f "$tmp/sink.ready" "$tmp/sink.out" "$tmp/send.out" "$tmp/sink.err" "$tmp/send.err"
  local extra=()
  [ "$check" = 1 ] && extra=(sha256)
  timeout -k 5 "$T" python3 "$tmp/io.py" sink "$sink_port" "$tmp/sink.ready" "${extra[@]}" \
    > "$tmp/sink.out" 2> "$tmp/sink.err" &
  kpid=$!
  xfer=("$kpid")
  for i in $(seq 100); do [ -e "$tmp/sink.ready" ] && break; kill -0 "$kpid" 2>/dev/null || break; sleep 0.1; done
  if ! [ -e "$tmp/sink.ready" ]; then
    result="FAILED sink did not start: $(head -c 200 "$tmp/sink.err")"; kill "$kpid" 2>/dev/null || true; wait "$kpid" || true; xfer=(); return 0
  fi
  timeout -k 5 "$T" python3 "$tmp/io.py" send "$port" "$tmp/data" > "$tmp/send.out" 2> "$tmp/send.err" &
  spid=$!
  xfer=("$kpid" "$spid")
  wait "$kpid" || rs=$?
  # The sink has its EOF; the sender waits up to 30 s more for the close to come back.
  wait "$spid" || ss=$?
  xfer=()
  read -r t1 got hash < "$tmp/sink.out" 2>/dev/null || true
  read -r t0 sent closed < "$tmp/send.out" 2>/dev/null || true
  if [ "$rs" = 124 ] || [ "$rs" = 137 ]; then
    result="FAILED timed out after $T s (sink had not seen EOF; TRYST_BENCH_TIMEOUT)"; return 0
  fi
  if [ "$rs" != 0 ] || [ -z "${t1:-}" ]; then
    result="FAILED sink exit $rs, sender exit $ss; $(cat "$tmp/sink.err" "$tmp/send.err" | tail -n 1 | cut -c1-100)"; return 0
  fi
  if [ "$got" != "$size" ]; then result="FAILED sink got $got of $size bytes (sender exit $ss)"; return 0; fi
  if [ "$check" = 1 ] && [ "$hash" != "$want" ]; then result="FAILED SHA-256 of what arrived differs"; return 0; fi
  if [ "$ss" != 0 ] || [ -z "${t0:-}" ]; then result="FAILED sender exit $ss; $(tail -n 1 "$tmp/send.err" | cut -c1-100)"; return 0; fi
  [ "$closed" = closed ] || echo "  note: the sender's connection was not closed back within 30 s after its half-close ($closed)" >&2
  result=$(awk -v b="$size" -v a="$t0" -v z="$t1" 'BEGIN {printf "%.1f", b / 1e6 / (z - a)}')
}

# ---------------------------------------------------------------- rows
# key|label; the plain row is the base of "vs plain", the ssh row of "vs ssh -L".
rows=(
  "plain|plain TCP, sender straight to sink (ceiling)"
  "socat|socat -b262144 forwarder (one hop, no crypto)"
  "ssh|ssh -L → sshd, default cipher"
  "ssh-gcm|ssh -L → sshd, -c aes256-gcm"
  "tryst|tryst forward → listen --expose, direct"
  "tryst-relay|tryst forward --no-direct (relay)"
)
on() { [ "$1" = plain ] || [ -z "${TRYST_BENCH_ONLY:-}" ] || grep -qE -- "$TRYST_BENCH_ONLY" <<<"$1"; }
declare -A port_of cpu_pids path_of

# socat: long-lived, a child per connection (its CPU is not counted: the child is gone when read).
if on socat; then
  p=$(free_port)
  start_bg socat "listening $p" socat -b262144 "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$sink_port"
  port_of[socat]=$p; path_of[socat]="plain"
fi

# ssh: a real sshd on a loopback port with its own config and throwaway keys; the client logs in
# with a throwaway key as this user and forwards a local port to the sink. -v for the cipher it chose.
if on ssh || on ssh-gcm; then
  mkdir -p "$tmp/ssh"
  ssh-keygen -q -t ed25519 -N '' -C bench-host -f "$tmp/ssh/host_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C bench-user -f "$tmp/ssh/id_ed25519"
  cp "$tmp/ssh/id_ed25519.pub" "$tmp/ssh/authorized_keys"
  sshd_port=$(free_port)
  cat > "$tmp/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1:$sshd_port
HostKey $tmp/ssh/host_ed25519
PidFile $tmp/ssh/sshd.pid
AuthorizedKeysFile $tmp/ssh/authorized_keys
AllowUsers $(id -un)
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding local
X11Forwarding no
PermitTTY no
PrintMotd no
LogLevel ERROR
EOF
  [ "$(id -u)" != 0 ] || [ -d /run/sshd ] || mkdir -p /run/sshd   # its privilege separation directory
  /usr/sbin/sshd -t -f "$tmp/ssh/sshd_config"
  start_bg sshd "listening $sshd_port" /usr/sbin/sshd -D -e -f "$tmp/ssh/sshd_config"
  sshd_pid=$bg
  printf '[127.0.0.1]:%s %s\n' "$sshd_port" "$(cut -d' ' -f1,2 "$tmp/ssh/host_ed25519.pub")" > "$tmp/ssh/known_hosts"
  sshc=(ssh -v -N -F /dev/null -i "$tmp/ssh/id_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes
        -o UserKnownHostsFile="$tmp/ssh/known_hosts" -o StrictHostKeyChecking=yes -o ExitOnForwardFailure=yes
        -o ServerAliveInterval=0 -p "$sshd_port")
  for k in ssh ssh-gcm; do
    on "$k" || continue
    p=$(free_port)
    extra=()
    [ "$k" = ssh-gcm ] && extra=(-c aes256-gcm@openssh.com)
    start_bg "$k" "listening $p" "${sshc[@]}" "${extra[@]}" -L "127.0.0.1:$p:127.0.0.1:$sink_port" "$(id -un)@127.0.0.1"
    port_of[$k]=$p
    cpu_pids[$k]="$bg"
    path_of[$k]=$(sed -n 's/.*kex: client->server cipher: \([^ ]*\) MAC: \([^ ]*\).*/\1/p' "$tmp/$k.log" | head -n 1)
  done
fi

# tryst: a server, two identities paired through it, a listener exposing the sink, two forwards.
if on tryst || on tryst-relay; then
  export XDG_STATE_HOME="$tmp/state" XDG_CACHE_HOME="$tmp/cache" XDG_DATA_HOME="$tmp/data.d"
  start_server_ready() { grep -q 'control listening on' "$tmp/tryst-server.log"; }
  start_bg tryst-server start_server_ready "$root/tryst" server --bind 127.0.0.1 --relay-port 0 \
    --control-port 0 --stun-port 0 --state-dir "$tmp/server-state"
  server_pid=$bg
  cport=$(sed -n 's/.*control listening on tls .*:\([0-9][0-9]*\),.*/\1/p' "$tmp/tryst-server.log" | head -n 1)
  S="127.0.0.1:$cport"
  mkdir -p "$tmp/bob" "$tmp/alice"
  XDG_CONFIG_HOME="$tmp/bob" timeout -k 5 60 "$root/tryst" pair --server "$S" --name alice --as bob \
    < /dev/null > /dev/null 2> "$tmp/pair-bob.log" &
  pb=$!
  xfer=("$pb")
  code=""
  for _ in $(seq 600); do
    code=$(sed -n 's/^Code: *//p' "$tmp/pair-bob.log" | head -n 1)
    [ -n "$code" ] && break
    kill -0 "$pb" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$code" ] || { echo "tryst pair printed no code:" >&2; cat "$tmp/pair-bob.log" >&2; exit 1; }
  XDG_CONFIG_HOME="$tmp/alice" timeout -k 5 60 "$root/tryst" pair --server "$S" --name bob --as alice "$code" \
    < /dev/null > /dev/null 2> "$tmp/pair-alice.log" \
    || { echo "tryst pair CODE failed:" >&2; cat "$tmp/pair-alice.log" "$tmp/pair-bob.log" >&2; exit 1; }
  wait "$pb" || { echo "tryst pair (code side) failed:" >&2; cat "$tmp/pair-bob.log" >&2; exit 1; }
  xfer=()
  XDG_CONFIG_HOME="$tmp/bob" start_bg tryst-listen "grep -q 'Listening as' '$tmp/tryst-listen.log'" \
    "$root/tryst" listen --server "$S" --expose "5201=127.0.0.1:$sink_port"
  listen_pid=$bg
  for k in tryst tryst-relay; do
    on "$k" || continue
    p=$(free_port)
    extra=()
    [ "$k" = tryst-relay ] && extra=(--no-direct)
    XDG_CONFIG_HOME="$tmp/alice" start_bg "$k" "grep -q '^Forwarding ' '$tmp/$k.log'" \
      "$root/tryst" forward --server "$S" "${extra[@]}" bob "$p:5201"
    port_of[$k]=$p
    cpu_pids[$k]="$bg $listen_pid $server_pid"
    path_of[$k]=$(sed -n 's/^Connected to bob, \(direct\|relayed\)\(.*\)\.$/\1\2/p' "$tmp/$k.log" | head -n 1)
    path_of[$k]=${path_of[$k]:-"? (see log)"}
    case "$k:${path_of[$k]}" in
      tryst:direct*|tryst-relay:relayed*) ;;
      *) echo "warning: $k took path '${path_of[$k]}'" >&2 ;;
    esac
  done
fi
port_of[plain]=$sink_port
path_of[plain]="-"

# ---------------------------------------------------------------- rounds
cpu_sample() { # $1 = key: CPU seconds so far of each process counted for the row, space-separated
  case $1 in
    ssh|ssh-gcm) echo "$(cpu_of "${cpu_pids[$1]}") $(cpu_of $(tree_of "$sshd_pid"))" ;;
    tryst|tryst-relay) local p out=""; for p in ${cpu_pids[$1]}; do out="$out${out:+ }$(cpu_of "$p")"; done; echo "$out" ;;
    *) echo "" ;;
  esac
}
declare -A res first cpu
for k in "${!cpu_pids[@]}"; do cpu[$k]=""; done
for r in $(seq 0 "$rounds"); do
  for row in "${rows[@]}"; do
    k=${row%%|*}
    [ -n "${port_of[$k]:-}" ] || continue
    if [ "$r" = 0 ]; then
      echo "warm-up round, SHA-256 checked: $k ..." >&2
      transfer "${port_of[$k]}" 1
      echo "  $result" >&2
      first[$k]=$result
      continue
    fi
    echo "round $r/$rounds: $k ..." >&2
    c0=$(cpu_sample "$k")
    transfer "${port_of[$k]}" 0
    echo "  $result" >&2
    res[$k]="${res[$k]:-}$result"$'\n'
    if [ -n "$c0" ] && [[ $result != FAILED* ]]; then
      cpu[$k]="${cpu[$k]}$(paste -d' ' <(tr ' ' '\n' <<<"$c0") <(cpu_sample "$k" | tr ' ' '\n') \
        | awk '{printf "%s%.3f", (NR > 1 ? " " : ""), $2 - $1}')"$'\n'
    fi
  done
done

# Any failed round makes the row FAILED; else the median of the timed rounds.
declare -A mbps
for row in "${rows[@]}"; do
  k=${row%%|*}
  lines=$(grep -v '^$' <<<"${res[$k]:-}" || true)
  [ -n "$lines" ] || continue
  if grep -q '^FAILED' <<<"$lines"; then mbps[$k]=$(grep -m1 '^FAILED' <<<"$lines"); else mbps[$k]=$(median <<<"$lines"); fi
done
ok() { [ -n "${mbps[$1]:-}" ] && [[ ${mbps[$1]} != FAILED* ]]; }
gib=$(awk -v b="$size" 'BEGIN {print b / 1073741824}')
cpu_per_gib() { # $1 = key: per process "a/b/c" of the summed CPU over timed rounds / GiB carried
  local n
  n=$(grep -vc '^$' <<<"${cpu[$1]}" || true)
  grep -v '^$' <<<"${cpu[$1]}" | awk -v g="$gib" -v n="$n" '
    {for (i = 1; i <= NF; i++) s[i] += $i; if (NF > m) m = NF}
    END {for (i = 1; i <= m; i++) {printf "%s%.2f", (i > 1 ? "+" : ""), s[i] / (n * g); t += s[i]}
         printf "=%.2f", t / (n * g)}'
}
size_s=$(awk -v b="$size" 'BEGIN {if (b % 1073741824 == 0) printf "%d GiB", b / 1073741824; else if (b % 1048576 == 0) printf "%d MiB", b / 1048576; else printf "%d bytes", b}')
printf '\nOne TCP stream of %s (random), %d timed round(s) (median) after a SHA-256-checked warm-up round; %d CPUs; %s;\nload average %s at the start, %s at the end\n' \
  "$size_s" "$rounds" "$(nproc)" "$([ "$netns" = 1 ] && echo 'loopback-only network namespace' || echo 'host network, loopback addresses')" \
  "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)"
padr() { local n; n=$(printf '%s' "$1" | LC_ALL=C.UTF-8 wc -m); printf '%s%*s' "$1" $(($2 - n)) ''; }
fmt='%s %8s %8s %8s  %-23s %9s  %-20s %s\n'
printf "$fmt" "$(padr what 48)" "MB/s" "vs plain" "vs ssh" "CPU s/GiB fwd+far+srv" "1st,chkd" "timed rounds" "path / cipher"
for row in "${rows[@]}"; do
  k=${row%%|*}; label=${row#*|}
  [ -n "${mbps[$k]:-}" ] || continue
  if ! ok "$k"; then printf '%s %8s  %s\n' "$(padr "$label" 48)" FAILED "${mbps[$k]#FAILED }"; continue; fi
  m=${mbps[$k]}
  vp="-"; vs="-"
  ok plain && vp=$(awk -v a="$m" -v z="${mbps[plain]}" 'BEGIN {printf "%.2f", a / z}')
  ok ssh && vs=$(awk -v a="$m" -v z="${mbps[ssh]}" 'BEGIN {printf "%.2f", a / z}')
  c="-"
  [ -n "${cpu[$k]:-}" ] && c=$(cpu_per_gib "$k")
  f=${first[$k]:-"-"}
  [[ $f == FAILED* ]] && f="FAILED"
  each=$(grep -v '^$' <<<"${res[$k]}" | awk '{printf "%s%.0f", (NR > 1 ? " " : ""), $1}')
  printf "$fmt" "$(padr "$label" 48)" "$m" "$vp" "$vs" "$c" "$f" "$each" "${path_of[$k]:--}"
done
for row in "${rows[@]}"; do
  k=${row%%|*}
  [[ ${first[$k]:-} == FAILED* ]] && echo "$k, warm-up round: ${first[$k]}"
done
exit 0
