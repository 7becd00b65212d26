# Sourced by ./tryst, ./test and bench/ scripts: sets JDK to a Java 25 JDK home, or explains and exits.
is_jdk25() { # $1 = a JDK home
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1   # a JDK, not a JRE: the first run compiles
  local v
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true)
  if [ -z "$v" ]; then
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  fi
  [ "$v" = "25" ]
}

find_jdk() {
  local c
  for c in "${TRYST_JAVA_HOME:-}" "${JAVA_HOME:-}"; do
    if [ -n "$c" ] && is_jdk25 "$c"; then echo "$c"; return 0; fi
  done
  for c in /usr/lib/jvm/*25* /usr/lib/jvm/* /opt/java/* /opt/*jdk* /usr/local/*jdk* \
           "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* "$HOME"/.local/share/mise/installs/java/* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    if [ -d "$c" ] && is_jdk25 "$c"; then echo "$c"; return 0; fi
  done
  if command -v java >/dev/null 2>&1; then
    c="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    if is_jdk25 "$c"; then echo "$c"; return 0; fi
  fi
  return 1
}

if ! JDK="$(find_jdk)"; then
  echo "tryst: needs a Java 25 JDK and found none (looked at \$JAVA_HOME, /usr/lib/jvm, /opt, ~/.sdkman)." >&2
  echo "Install one (for example Temurin 25) or point JAVA_HOME at it." >&2
  exit 1
fi
export JDK
