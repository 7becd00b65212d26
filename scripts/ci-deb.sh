#!/usr/bin/env bash
# CI, the installable part (issue 15): build the release, install the .deb on this machine, and use
# it as a user would: `tryst --version` and a real text transfer (a server, send --text, receive) as
# an unprivileged user from the installed /usr/bin/tryst; `systemd-analyze verify` on the installed
# unit; then purge the package and check that it left nothing behind.
# Needs root (dpkg -i); without root it builds the release and skips the rest, saying so.
# Bounded: every step has a timeout, every process it starts is stopped on exit, no standard input.
# Usage: scripts/ci-deb.sh [--no-build]   (--no-build: use the .deb already in target/)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/jdk.sh
export JAVA_HOME="$JDK"
exec </dev/null
t0=$SECONDS
say() { echo "ci-deb: $* ($((SECONDS - t0)) s)"; }
fail() { echo "ci-deb: FAILED: $*" >&2; exit 1; }

if [ "${1:-}" != --no-build ]; then
  say "building the release (./mvnw -Prelease package)"
  timeout 600 ./mvnw -B -ntp -q -Prelease -DskipTests package || fail "the release build failed"
fi
deb="$(ls target/tryst_*_amd64.deb 2>/dev/null | head -n1)"
tarball="$(ls target/tryst-*-linux-x86_64.tar.gz 2>/dev/null | head -n1)"
[ -f "$deb" ] && [ -f "$tarball" ] || fail "the release made no .deb or tarball in target/"
say "built $deb ($(du -h "$deb" | cut -f1)) and $tarball ($(du -h "$tarball" | cut -f1))"

if [ "$(id -u)" != 0 ]; then
  say "not root: skipping the .deb's install, transfer and purge (dpkg -i needs root)"
  exit 0
fi
if dpkg-query -W -f='${Status}' tryst 2>/dev/null | grep -q 'ok installed'; then
  fail "a tryst package is installed already; this test installs and purges its own, so it stops here"
fi

work="$(mktemp -d /tmp/tryst-ci-deb.XXXXXX)"
chmod 0755 "$work"
pids=()
installed=
made_user=
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$installed" ]; then timeout 120 dpkg --purge tryst >/dev/null 2>&1 || true; fi
  if [ -n "$made_user" ]; then userdel "$made_user" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "dpkg -i $(basename "$deb")"
installed=yes
timeout 120 dpkg -i "$deb" >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log" >&2; fail "dpkg -i"; }
[ "$(readlink -f /usr/bin/tryst)" = /usr/lib/tryst/bin/tryst ] || fail "/usr/bin/tryst is not the image's launcher"
getent passwd tryst >/dev/null || fail "postinst made no tryst user"
# postinst again (as on an upgrade or dpkg-reconfigure): the user it made stays, nothing fails
timeout 60 /var/lib/dpkg/info/tryst.postinst configure >/dev/null || fail "postinst is not idempotent"

# The unprivileged user: one of our own, made here and removed on exit, with a home in $work (the
# JVM takes the home from the password database, not $HOME, and the clients keep the server's pin
# in ~/.config/tryst; nobody's home does not exist). The server runs as the package's tryst user,
# as the unit would, on ports the kernel picks (other tests may hold the default ones).
user="tryst-ci-$$"
home="$work/home"
useradd --no-create-home --home-dir "$home" --shell /bin/sh --comment "tryst CI, removed after the test" "$user" \
  || fail "useradd $user"
made_user="$user"
mkdir -p "$home" "$work/state"
chown "$user": "$home"
chown tryst: "$work/state"
# a UTF-8 locale, as a user has: in the C locale Java writes a non-ASCII text out as ?
# (an array, not a function: started in the background, $! is then the process itself, which
# execs down to timeout, and timeout passes our kill on to java)
as_user=(setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups --reset-env -- env LANG=C.UTF-8)
as_tryst=(setpriv --reuid=tryst --regid="$(id -g tryst)" --clear-groups --reset-env -- env LANG=C.UTF-8)
cd "$work"   # no user may need the checkout: everything below runs from the installed files

v="$("${as_user[@]}" timeout 60 /usr/bin/tryst --version)" || fail "tryst --version as $user"
case "$v" in "tryst "*"(Java 25"*) ;; *) fail "tryst --version printed: $v" ;; esac
for f in /usr/share/man/man1/tryst.1.gz /usr/share/bash-completion/completions/tryst \
         /usr/share/zsh/vendor-completions/_tryst /usr/share/fish/vendor_completions.d/tryst.fish; do
  [ -s "$f" ] || fail "the package has no $f"
done
zcat /usr/share/man/man1/tryst.1.gz | grep -q '^\.TH TRYST 1' || fail "the installed man page is not tryst(1)"
say "as $user: $v"

"${as_tryst[@]}" timeout 300 /usr/bin/tryst server --bind 127.0.0.1 --control-port 0 --relay-port 0 \
  --stun-port -1 --state-dir "$work/state" >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
control= relay=
for _ in $(seq 240); do   # up to 120 s for the server to say where it listens
  control="$(sed -n 's/.*control listening on tls \S*:\([0-9][0-9]*\).*/\1/p' "$work/server.err" | head -n1)"
  relay="$(sed -n 's/.*relay listening on tcp \S*:\([0-9][0-9]*\).*/\1/p' "$work/server.err" | head -n1)"
  [ -n "$control" ] && [ -n "$relay" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/server.err" >&2; fail "the server exited"; }
  sleep 0.5
done
[ -n "$control" ] && [ -n "$relay" ] || { cat "$work/server.err" >&2; fail "the server did not say where it listens"; }
say "server as tryst: control 127.0.0.1:$control, relay 127.0.0.1:$relay"

"${as_user[@]}" timeout 120 /usr/bin/tryst send --server "127.0.0.1:$control" --text "installed, and it works ✓" \
  >"$work/send.out" 2>"$work/send.err" &
sender=$!
pids+=($sender)
code=
for _ in $(seq 240); do
  code="$(sed -n 's/.*Code: \(\S*\).*/\1/p' "$work/send.err" | head -n1)"
  [ -n "$code" ] && break
  kill -0 "$sender" 2>/dev/null || { cat "$work/send.err" >&2; fail "the sender exited before printing a code"; }
  sleep 0.5
done
[ -n "$code" ] || { cat "$work/send.err" >&2; fail "the sender printed no code"; }
got="$("${as_user[@]}" timeout 120 /usr/bin/tryst receive --server "127.0.0.1:$control" "$code" 2>"$work/recv.err")" \
  || { cat "$work/recv.err" "$work/send.err" >&2; fail "receive"; }
wait "$sender" || { cat "$work/send.err" >&2; fail "send exited $?"; }
[ "$got" = "installed, and it works ✓" ] || fail "received '$got'"
say "as $user: a text went from send to receive through the installed server"

# A compressible file too: it goes zstd-compressed, so the image's zstd native library is loaded
# (the text is not), as the server's events.db loaded SQLite's.
mkdir -p "$home/out"
for i in $(seq 20000); do echo "line $i of a file that compresses well"; done >"$home/notes.txt"
chown -R "$user": "$home"
"${as_user[@]}" sh -c 'cd "$1" && exec timeout 120 /usr/bin/tryst send --server "127.0.0.1:$2" notes.txt' sh "$home" "$control" \
  >"$work/sendf.out" 2>"$work/sendf.err" &
sender=$!
pids+=($sender)
code=
for _ in $(seq 240); do
  code="$(sed -n 's/.*Code: \(\S*\).*/\1/p' "$work/sendf.err" | head -n1)"
  [ -n "$code" ] && break
  kill -0 "$sender" 2>/dev/null || { cat "$work/sendf.err" >&2; fail "the file's sender exited before printing a code"; }
  sleep 0.5
done
[ -n "$code" ] || { cat "$work/sendf.err" >&2; fail "the file's sender printed no code"; }
"${as_user[@]}" timeout 120 /usr/bin/tryst receive --server "127.0.0.1:$control" --out "$home/out" --yes "$code" \
  >"$work/recvf.out" 2>"$work/recvf.err" || { cat "$work/recvf.err" "$work/sendf.err" >&2; fail "receive of a file"; }
wait "$sender" || { cat "$work/sendf.err" >&2; fail "send of a file exited $?"; }
cmp -s "$home/notes.txt" "$home/out/notes.txt" || fail "the file that arrived differs"
[ -s "$work/state/events.db" ] || fail "the server kept no events.db in its state folder"
say "as $user: a file ($(du -k "$home/notes.txt" | cut -f1) KiB, compressible) arrived intact; the server has its events.db"

# systemd-analyze verify without systemd as PID 1: it loads the unit offline. --man=no, since no
# man page is named; it checks that ExecStart's binary exists and every directive parses, and any
# warning about the unit itself fails this check.
if command -v systemd-analyze >/dev/null; then
  timeout 60 systemd-analyze verify --man=no /usr/lib/systemd/system/tryst-server.service >"$work/verify.log" 2>&1 \
    || { cat "$work/verify.log" >&2; fail "systemd-analyze verify"; }
  if grep -i "tryst-server" "$work/verify.log" >&2; then fail "systemd-analyze verify warned about the unit"; fi
  say "systemd-analyze verify: the unit passes"
else
  say "no systemd-analyze here: the unit is not verified"
fi

for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
chown -R root: "$work/state"   # so that userdel finds nothing of tryst's here
timeout 120 dpkg --purge tryst >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg --purge"; }
installed=
left=""
for f in /usr/bin/tryst /usr/lib/tryst /etc/tryst /var/lib/tryst /usr/lib/systemd/system/tryst-server.service; do
  [ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
getent passwd tryst >/dev/null && left="$left (the user tryst)"
[ -z "$left" ] || fail "the purge left$left"
say "purged: no files and no tryst user left"
