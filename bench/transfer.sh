#!/usr/bin/env bash
# End-to-end encrypted transfer through a relay: tryst (client + `tryst server`) beside
# magic-wormhole (Debian's Python client, 0.12) and wormhole-william (Debian's Go client), all
# three through servers on this machine. One run, one table, ratios from this run.
#
# Loopback only. Run as root, the script re-executes itself inside a fresh network + mount
# namespace (`unshare -n -m`) whose only interface is `lo`, so no program can reach any other host,
# and bind-mounts a private /etc/hosts there that points the wormhole clients' built-in public
# server names at 127.0.0.1. That is how wormhole-william, which has no --transit-helper option,
# is made to use the local transit relay (it dials transit.magic-wormhole.io:4001, which here is
# the local relay on 127.0.0.1:4001). Without that namespace the wormhole-william rows do not run.
# Every tool is still given explicit local server URLs.
#
# Peers (Debian bookworm packages: magic-wormhole, magic-wormhole-transit-relay,
# python3-magic-wormhole-mailbox-server, wormhole-william):
#   mailbox:  /usr/bin/python3 -m twisted wormhole-mailbox --port tcp:P:interface=127.0.0.1
#   transit:  /usr/bin/python3 -m twisted transitrelay --port tcp:P:interface=127.0.0.1
#   magic-wormhole: wormhole --relay-url ws://127.0.0.1:P/v1 --transit-helper tcp:127.0.0.1:P
#             send|receive --no-listen ...   (--no-listen on both sides: relay path, like tryst)
#   wormhole-william: wormhole-william --relay-url ws://127.0.0.1:P/v1 send|receive ...; in the
#             namespace it has no non-loopback address to offer, so it too goes through the relay.
#   The path each took is checked from the clients' output / the transit relay's log.
# Plain relay pipe throughput (tryst server vs socat, no encryption) is bench/relay.sh, not here.
#
# Data, made once in a temp dir (in /dev/shm when it fits): SIZE random bytes, SIZE bytes of repeated text, and a directory
# of 10 000 random files of 4 KiB. MB/s is (payload bytes / 10^6) / end-to-end wall seconds, from
# starting the sender to both programs having exited: start-up, handshake and any packing (the
# wormholes zip directories) are included. Each received copy is SHA-256-checked (directories:
# a hash over every file's path and hash); a transfer that fails or does not verify is FAILED.
# Client CPU (user+sys) and peak RSS come from /usr/bin/time; servers are long-lived processes
# started once: their CPU is the /proc delta over the run, their peak RSS is VmHWM after resetting
# it (clear_refs) before the run. For the wormholes "server" is mailbox + transit relay.
# ratio = MB/s / magic-wormhole's MB/s for the same data (stdin row: against the random file).
# Usage: bench/transfer.sh [SIZE_BYTES] [ROUNDS]   (default 1 GiB, 1 round; median round by MB/s)
#        TRYST_BENCH_ONLY=REGEX runs only the rows whose label matches (grep -E), e.g. 'stdin|random file'.
#        TRYST_BENCH_NETNS=0 stays on the host network (loopback addresses; wormhole-william rows skipped).
#        TRYST_BENCH_TIMEOUT=SECONDS overrides the per-transfer timeout (default 60 + SIZE / 10 MB/s).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/jdk.sh"
cd "$root"
size="${1:-1073741824}"
rounds="${2:-1}"
case "$size$rounds" in *[!0-9]*|"") echo "usage: bench/transfer.sh [SIZE_BYTES] [ROUNDS]" >&2; exit 2 ;; esac
[ "$rounds" -ge 1 ] && [ "$size" -ge 1 ] || { echo "SIZE and ROUNDS must be at least 1" >&2; exit 2; }
for t in /usr/bin/time timeout sha256sum split; do
  command -v "$t" >/dev/null || { echo "bench/transfer.sh: needs $t (apt-get install time coreutils)" >&2; exit 1; }
done

# Build before entering the namespace: Maven may need the network.
[ -f target/tryst.jar ] || JAVA_HOME="$JDK" ./mvnw -q -B -ntp -DskipTests package >&2

if [ -z "${TRYST_BENCH_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null \
    && command -v ip >/dev/null && unshare -n -m true 2>/dev/null; then
  exec env TRYST_BENCH_NETNS=1 unshare -n -m bash "${BASH_SOURCE[0]}" "$@"
fi

# Data and received copies live in /dev/shm when it has room (unless TMPDIR is set), so disk
# writeback does not add noise to any tool's row.
base=${TMPDIR:-/tmp}
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
  avail_k=$(df -Pk /dev/shm | awk 'NR == 2 {print $4}')
  [ "${avail_k:-0}" -gt $(((size * 4 + 300000000) / 1024)) ] && base=/dev/shm
fi
tmp=$(mktemp -d "$base/tryst-transfer.XXXXXX")
pids=()
# A process and all its descendants, children first found through /proc (bounded depth).
tree_of() {
  local p=$1 depth=${2:-0} c
  [ "$depth" -lt 8 ] || return 0
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_of "$c" $((depth + 1)); done
  echo "$p"
}
cleanup() {
  local p q
  for p in "${pids[@]}" ${spid:-} ${rpid:-}; do
    for q in $(tree_of "$p"); do kill "$q" 2>/dev/null || true; done
  done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

netns=0
if [ "${TRYST_BENCH_NETNS:-}" = 1 ]; then
  ip link set lo up
  links=$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
  [ "$links" = "lo " ] || { echo "namespace has interfaces besides lo: $links" >&2; exit 1; }
  printf '127.0.0.1 localhost %s relay.magic-wormhole.io transit.magic-wormhole.io\n::1 localhost\n' \
    "$(hostname)" > "$tmp/hosts"
  mount --bind "$tmp/hosts" /etc/hosts
  netns=1
fi

tck=$(getconf CLK_TCK)
cpu_of() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$tck" '{printf "%.2f", ($12 + $13) / t}'; }
hwm_mib() { awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
now() { date +%s.%N; }

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

# Long-lived server under a generous `timeout`; sets $srv to the server's own pid.
server_limit=$((7200 + rounds * 2400))
start_server() { # $1 = name, $2 = port, rest = command
  local name=$1 port=$2 t i
  shift 2
  timeout -k 5 "$server_limit" "$@" > "$tmp/$name.log" 2>&1 3>> "$tmp/$name.usage" &
  t=$!
  pids+=("$t")
  srv=""
  for i in $(seq 300); do
    srv=$(cat /proc/"$t"/task/*/children 2>/dev/null | awk '{print $1}') || srv=""
    if [ -n "$srv" ] && listening "$port"; then return 0; fi
    kill -0 "$t" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name did not start listening on 127.0.0.1:$port; its log:" >&2
  tail -n 20 "$tmp/$name.log" >&2
  srv=""
  return 1
}

# ---------------------------------------------------------------- data
data="$tmp/data"
mkdir -p "$data/files10k"
echo "making data in $tmp ..." >&2
head -c "$size" /dev/urandom > "$data/random.bin"
(yes 'tryst transfer benchmark: a highly compressible line of text, repeated. 0123456789' || true) \
  | head -c "$size" > "$data/text.txt"
head -c $((10000 * 4096)) /dev/urandom | (cd "$data/files10k" && split -b 4096 -a 5 -d - f)
[ "$(find "$data/files10k" -type f | wc -l)" = 10000 ] || { echo "could not make 10 000 files" >&2; exit 1; }
tree_hash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1); }
file_hash() { sha256sum "$1" | cut -d' ' -f1; }
declare -A want bytes_of
want[random.bin]=$(file_hash "$data/random.bin"); bytes_of[random.bin]=$size
want[text.txt]=$(file_hash "$data/text.txt");     bytes_of[text.txt]=$size
want[files10k]=$(tree_hash "$data/files10k");     bytes_of[files10k]=$((10000 * 4096))

# Per-run client timeout: a minute plus 10 MB/s over the largest payload.
T=$((60 + size / 10000000))
T=${TRYST_BENCH_TIMEOUT:-$T}

# ---------------------------------------------------------------- servers
declare -A srv_pid
tport=$(free_port)
cport=$(free_port)
start_server tryst-server "$tport" "$JDK/bin/java" -XX:+UseParallelGC -Xss512k -Xlog:disable \
  -Xlog:all=warning:stderr -jar target/tryst.jar server --bind 127.0.0.1 --relay-port "$tport" \
  --control-port "$cport" --plain-control --stun-port -1 --state-dir "$tmp/tryst-state" \
  && srv_pid[tryst]=$srv || true

PY=/usr/bin/python3
wormhole_why=""
if ! [ -x "$PY" ] || ! "$PY" -c 'import wormhole_mailbox_server, wormhole_transit_relay, twisted' 2>/dev/null; then
  wormhole_why="no mailbox/transit server (apt-get install python3-magic-wormhole-mailbox-server magic-wormhole-transit-relay)"
else
  mport=$(free_port)
  if [ "$netns" = 1 ]; then xport=4001; else xport=$(free_port); fi   # 4001: wormhole-william's built-in
  start_server mailbox "$mport" "$PY" -m twisted --log-format=text --log-file=- wormhole-mailbox \
    --port "tcp:$mport:interface=127.0.0.1" --channel-db="$tmp/mailbox.sqlite" \
    && srv_pid[mailbox]=$srv || wormhole_why="local mailbox server did not start"
  # --log-fd: one JSON line per relayed pair with its byte count, which tells the relay path from direct.
  start_server transit "$xport" "$PY" -m twisted --log-format=text --log-file=- transitrelay \
    --port "tcp:$xport:interface=127.0.0.1" --log-fd=3 \
    && srv_pid[transit]=$srv || wormhole_why="local transit relay did not start"
fi
mw_why=$wormhole_why
command -v wormhole >/dev/null || mw_why="magic-wormhole not installed (apt-get install magic-wormhole)"
ww_why=$wormhole_why
command -v wormhole-william >/dev/null || ww_why="wormhole-william not installed (apt-get install wormhole-william)"
[ "$netns" = 1 ] || ww_why=${ww_why:-"no --transit-helper option; needs root + unshare to keep its transit relay local"}
[ -n "${srv_pid[tryst]:-}" ] || tryst_why="tryst server did not start"

# ---------------------------------------------------------------- one transfer
# Clients run through the launcher, as users run them (its JVM options, its AOT cache); one call
# first so that a build or the AOT training never lands inside a timed run.
tryst=("$root/tryst")
"${tryst[@]}" --version >/dev/null 2>&1 || true
mw=(wormhole --relay-url "ws://127.0.0.1:${mport:-0}/v1" --transit-helper "tcp:127.0.0.1:${xport:-0}")
ww=(wormhole-william --relay-url "ws://127.0.0.1:${mport:-0}/v1")
code_n=0

# run_once TOOL ITEM [stdin]: sets $result to "MBps scpu rcpu srvcpu srss/rrss/srvrss path" or "FAILED ...".
# Runs in this shell (not $(...)) so the cleanup trap knows both clients ($spid, $rpid); the receiver
# runs in the background too, because `wait` lets a trapped INT/TERM through at once.
spid=""
rpid=""
run_once() {
  local tool=$1 item=$2 mode=${3:-file} out="$tmp/out" servers=() snd rcv rcv_in=/dev/null rcv_out
  local p t0 t1 rs=0 ss=0 code="" i got scpu rcpu srvcpu=0 rss_srv="" path="relay" s
  declare -A c0
  rm -rf "$out" "$tmp"/snd.* "$tmp"/rcv.*
  mkdir -p "$out"
  rcv_out="$tmp/rcv.out"
  code_n=$((code_n + 1))
  local wcode="$((code_n + 100))-bench-transfer"
  case $tool in
    tryst)
      servers=("${srv_pid[tryst]}")
      if [ "$mode" = stdin ]; then
        snd=("${tryst[@]}" send --relay "127.0.0.1:$tport")
        rcv=("${tryst[@]}" receive --relay "127.0.0.1:$tport")
        rcv_out="$out/$item"
      else
        snd=("${tryst[@]}" send --relay "127.0.0.1:$tport" "$item")
        rcv=("${tryst[@]}" receive --relay "127.0.0.1:$tport" --yes --out "$out")
      fi ;;
    tryst-direct)   # meeting in a rendezvous room; the direct TCP path wins the race on one machine
      servers=("${srv_pid[tryst]}")
      snd=("${tryst[@]}" send --server "127.0.0.1:$cport" --plain-control "$item")
      rcv=("${tryst[@]}" receive --server "127.0.0.1:$cport" --plain-control --yes --out "$out") ;;
    magic-wormhole)
      servers=("${srv_pid[mailbox]}" "${srv_pid[transit]}")
      snd=("${mw[@]}" send --hide-progress --no-listen --code "$wcode" "$item")
      rcv=("${mw[@]}" receive --hide-progress --no-listen --accept-file -o "$out/$item" "$wcode") ;;
    wormhole-william)
      servers=("${srv_pid[mailbox]}" "${srv_pid[transit]}")
      snd=("${ww[@]}" send --hide-progress --code "$wcode" "$item")
      rcv=("${ww[@]}" receive --hide-progress "$wcode")
      echo y > "$tmp/rcv.in"; rcv_in="$tmp/rcv.in" ;;   # it asks "ok? (y/N)"
  esac
  local u0
  u0=$(cat "$tmp/transit.usage" 2>/dev/null | wc -l)
  for p in "${servers[@]}"; do echo 5 > "/proc/$p/clear_refs" 2>/dev/null || true; c0[$p]=$(cpu_of "$p"); done
  local snd_in=/dev/null
  [ "$mode" = stdin ] && snd_in="$data/$item"
  t0=$(now)
  ( cd "$data" && exec /usr/bin/time -o "$tmp/snd.time" -f '%e %U %S %M' timeout -k 5 "$T" "${snd[@]}" \
      < "$snd_in" > "$tmp/snd.out" 2> "$tmp/snd.err" ) &
  spid=$!
  for i in $(seq 1200); do   # up to 60 s for the code
    grep -qE '^Code: |Wormhole code is' "$tmp/snd.err" "$tmp/snd.out" 2>/dev/null && break
    kill -0 "$spid" 2>/dev/null || break
    sleep 0.05
  done
  if [[ $tool == tryst* ]]; then
    code=$(sed -n 's/^Code: *//p' "$tmp/snd.err" | head -n 1)
    [ -n "$code" ] && rcv+=("$code")
  fi
  if [[ $tool == tryst* ]] && [ -z "$code" ]; then
    rs="not started: no code"
  else
    ( cd "$out" && exec /usr/bin/time -o "$tmp/rcv.time" -f '%e %U %S %M' timeout -k 5 "$T" "${rcv[@]}" \
        < "$rcv_in" > "$rcv_out" 2> "$tmp/rcv.err" ) &
    rpid=$!
    wait "$rpid" || rs=$?
    rpid=""
  fi
  wait "$spid" || ss=$?
  spid=""
  t1=$(now)
  for p in "${servers[@]}"; do
    srvcpu=$(awk -v a="$srvcpu" -v b="$(cpu_of "$p")" -v c="${c0[$p]}" 'BEGIN {printf "%.2f", a + b - c}')
    rss_srv="${rss_srv:+$rss_srv+}$(hwm_mib "$p")"
  done
  if [ "$ss" != 0 ] || [ "$rs" != 0 ]; then
    s=$(cat "$tmp/snd.err" "$tmp/rcv.err" 2>/dev/null | grep -v '^[0-9. ]*$' | grep -iE 'error|fail|not|exception|refus' | head -n 1 | sed 's/^tryst: //' | cut -c1-90) || true
    result="FAILED sender exit $ss, receiver ${rs/#0/ok}${s:+; $s}"; return 0
  fi
  if [ "$item" = files10k ]; then got=$(tree_hash "$out/$item" 2>/dev/null || true)
  else got=$(file_hash "$out/$item" 2>/dev/null || true); fi
  if [ "$got" != "${want[$item]}" ]; then result="FAILED received copy does not match (SHA-256)"; return 0; fi
  # Which path: tryst says it; for the wormholes, a new usage line from the local transit relay
  # (its byte count) means the data went through it, none means a direct connection.
  case $tool in
    tryst*) path=$(sed -n -e 's/^Connected, relayed via .*/relay/p' -e 's/^Connected, direct, tcp .*/direct/p' "$tmp/snd.err" \
              | head -n 1); path=${path:-"?"} ;;
    *)
      for i in $(seq 40); do
        [ "$(cat "$tmp/transit.usage" 2>/dev/null | wc -l)" -gt "$u0" ] && break
        sleep 0.05
      done
      path=$(tail -n +"$((u0 + 1))" "$tmp/transit.usage" 2>/dev/null \
        | sed -n 's/.*"total_bytes": *\([0-9]*\).*/\1/p' \
        | awk '{t += $1; n++} END {if (n) printf "relay (%.1f MB relayed)", t / 1e6; else print "direct"}') ;;
  esac
  scpu=$(awk '{printf "%.2f", $2 + $3}' "$tmp/snd.time"); rcpu=$(awk '{printf "%.2f", $2 + $3}' "$tmp/rcv.time")
  local mbps
  mbps=$(awk -v b="${bytes_of[$item]}" -v a="$t0" -v z="$t1" 'BEGIN {printf "%.1f", b / 1e6 / (z - a)}')
  result="$mbps $scpu $rcpu $srvcpu $(awk '{printf "%.0f", $4 / 1024}' "$tmp/snd.time")/$(awk '{printf "%.0f", $4 / 1024}' "$tmp/rcv.time")/$rss_srv $path"
  rm -rf "$out"
}

# ---------------------------------------------------------------- rows
gib() { awk -v b="$size" 'BEGIN {if (b % 1073741824 == 0) printf "%d GiB", b / 1073741824; else printf "%.0f MB", b / 1e6}'; }
S=$(gib)
rows=(
  "tryst|random.bin|file|tryst, $S random file"
  "tryst|random.bin|stdin|tryst, $S random, stdin→stdout"
  "tryst|text.txt|file|tryst, $S compressible file"
  "tryst|files10k|file|tryst, 10 000 × 4 KiB files (dir)"
  "tryst-direct|random.bin|file|tryst direct TCP, $S random file"
  "magic-wormhole|random.bin|file|magic-wormhole, $S random file"
  "magic-wormhole|text.txt|file|magic-wormhole, $S compressible"
  "magic-wormhole|files10k|file|magic-wormhole, 10 000 × 4 KiB (dir)"
  "wormhole-william|random.bin|file|wormhole-william, $S random file"
  "wormhole-william|text.txt|file|wormhole-william, $S compressible"
  "wormhole-william|files10k|file|wormhole-william, 10 000 × 4 KiB (dir)"
)
declare -A res why
for r in $(seq "$rounds"); do
  for i in "${!rows[@]}"; do
    IFS='|' read -r tool item mode label <<<"${rows[$i]}"
    case $tool in
      tryst|tryst-direct) w=${tryst_why:-} ;; magic-wormhole) w=$mw_why ;; *) w=$ww_why ;;
    esac
    if [ -n "${TRYST_BENCH_ONLY:-}" ] && ! grep -qE -- "$TRYST_BENCH_ONLY" <<<"$label"; then
      why[$i]="skipped (TRYST_BENCH_ONLY)"; continue
    fi
    if [ -n "$w" ]; then why[$i]="cannot run offline: $w"; continue; fi
    echo "round $r: $label ..." >&2
    run_once "$tool" "$item" "$mode"
    echo "  $result" >&2
    res[$i]="${res[$i]:-}$result"$'\n'
  done
done

# Median round by MB/s; any failed round makes the row FAILED.
declare -A mbps
pick() { # $1 = row index -> sets line
  local lines=${res[$1]:-}
  line=""
  [ -n "$lines" ] || return 0
  if grep -q '^FAILED' <<<"$lines"; then line=$(grep -m1 '^FAILED' <<<"$lines"); return 0; fi
  line=$(grep -v '^$' <<<"$lines" | sort -n -k1,1 | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
}
for i in "${!rows[@]}"; do pick "$i"; [[ "$line" == FAILED* || -z "$line" ]] || mbps[$i]=${line%% *}; done
base_of() { # $1 = item -> the index of magic-wormhole's row for it
  local k t it rest
  for k in "${!rows[@]}"; do
    IFS='|' read -r t it rest <<<"${rows[$k]}"
    if [ "$t" = magic-wormhole ] && [ "$it" = "$1" ]; then echo "$k"; return; fi
  done
}

printf '\nEncrypted transfer through a local relay, %s, %d round(s)%s; %d CPUs; %s\n' "$S" "$rounds" \
  "$([ "$rounds" -gt 1 ] && echo ' (median round)')" "$(nproc)" \
  "$([ "$netns" = 1 ] && echo 'loopback-only network namespace' || echo 'host network, loopback addresses')"
# Labels hold × and →: pad by characters, not bytes.
padr() { local n; n=$(printf '%s' "$1" | LC_ALL=C.UTF-8 wc -m); printf '%s%*s' "$1" $(($2 - n)) ''; }
fmt='%s %9s %7s %7s %7s %7s  %-17s %s\n'
printf "$fmt" "$(padr what 40)" "MB/s" "ratio" "snd CPU" "rcv CPU" "srv CPU" "RSS MiB s/r/srv" "path"
for i in "${!rows[@]}"; do
  IFS='|' read -r tool item mode label <<<"${rows[$i]}"
  pick "$i"
  if [ -n "${why[$i]:-}" ]; then printf '%s %s\n' "$(padr "$label" 40)" "${why[$i]}"; continue; fi
  if [[ "$line" == FAILED* ]]; then printf '%s %9s  %s\n' "$(padr "$label" 40)" FAILED "${line#FAILED }"; continue; fi
  read -r m sc rc vc rss path <<<"$line"
  b=$(base_of "$item")
  ratio="-"
  [ -n "${mbps[$b]:-}" ] && ratio=$(awk -v a="$m" -v z="${mbps[$b]}" 'BEGIN {printf "%.2f", a / z}')
  printf "$fmt" "$(padr "$label" 40)" "$m" "$ratio" "$sc" "$rc" "$vc" "$rss" "$path"
done
