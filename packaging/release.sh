#!/usr/bin/env bash
# The release, run by `./mvnw -B -Prelease -DskipTests package` after the shaded jar is made:
#   target/image/tryst/                          the application image: its own trimmed Java runtime,
#                                                the jar, the AOT cache trained with that runtime, bin/tryst
#   target/tryst-VERSION-linux-x86_64.tar.gz     that image, for any x86_64 Linux with glibc >= 2.17
#   target/tryst_DEBVERSION_amd64.deb            that image under /usr/lib/tryst, /usr/bin/tryst,
#                                                the tryst user, the hardened tryst-server.service
# docs/INSTALL.md says what goes where and why. Usage: release.sh VERSION BUILD_DIR JDK_HOME
set -euo pipefail

version="$1" build="$2" jdk="$3"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
jar="$build/tryst.jar"
t0=$SECONDS
step() { echo "release: $* ($((SECONDS - t0)) s)"; }

[ -x "$jdk/bin/jlink" ] || { echo "release: $jdk has no jlink: the release needs a full JDK 25" >&2; exit 1; }
[ -f "$jar" ] || { echo "release: $jar is missing (the shade execution makes it)" >&2; exit 1; }

# --- the runtime's modules ------------------------------------------------------------------------
# A fixed list, checked against jdeps below, so that a dependency on a new module fails the release
# with a message instead of shipping an image that fails at run time. What each is for:
#   java.base       everything of the JDK tryst uses directly: TLS 1.3, X25519/Ed25519 (SunEC lives in
#                   java.base since JDK 22: jdk.crypto.ec is an empty module now, not needed),
#                   AES-GCM, javax.crypto.KDF (HKDF), sockets, the zstd-jni/sqlite-jdbc native loading
#   java.sql        sqlite-jdbc's JDBC API (brings java.logging, java.xml, java.transaction.xa)
#   jdk.httpserver  com.sun.net.httpserver, for the server's /healthz and /metrics (issue 15, Operable)
#   jdk.unsupported sun.misc.Unsafe, which Netty (the QUIC path, dev.tryst.quic) uses for its buffers
#   java.naming     Netty's resolver and SSL classes link against javax.naming (loaded only if used)
#   jdk.jfr         Netty declares JFR events for its buffer allocator (jdeps requires the module)
# Not included: jdk.zipfs (nothing opens a zip as a file system), java.net.http (no HTTP client),
# jdk.localedata (messages are English; other locales fall back to the root locale's formats).
modules=java.base,java.sql,jdk.httpserver,jdk.unsupported,java.naming,jdk.jfr

found="$("$jdk/bin/jdeps" --ignore-missing-deps --multi-release 25 --print-module-deps "$jar")"
missing=""
for m in ${found//,/ }; do
  case ",$modules," in *",$m,"*) ;; *) missing="$missing $m" ;; esac
done
if [ -n "$missing" ]; then
  echo "release: jdeps says tryst.jar needs$missing, which packaging/release.sh does not put in the runtime;" >&2
  echo "release: add it to 'modules' there (with a word on what it is for)" >&2
  exit 1
fi
step "modules $modules (jdeps: $found)"

# --- the application image ------------------------------------------------------------------------
img="$build/image/tryst"
rm -rf "$build/image"
mkdir -p "$img/bin" "$img/lib"
# No --compress: the .deb and the tarball are compressed anyway, and an uncompressed jimage loads
# faster. --strip-debug and no man pages or headers: nobody debugs or compiles against this runtime.
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --output "$img/runtime"
# the shaded jar, less the native libraries of other platforms (20 MB -> 3 MB); the two this one
# needs must still be there
"$jdk/bin/java" "$here/TrimJar.java" "$jar" "$img/lib/tryst.jar"
for lib in linux/amd64/libzstd-jni- org/sqlite/native/Linux/x86_64/libsqlitejdbc.so META-INF/native/libnetty_quiche42_linux_x86_64.so; do
  "$jdk/bin/jar" tf "$img/lib/tryst.jar" | grep -q "^$lib" || { echo "release: $lib is not in the image's jar" >&2; exit 1; }
done
cp "$root/scripts/jvm.args" "$img/lib/jvm.args"
install -m 0755 "$here/bin/tryst" "$img/bin/tryst"
step "runtime linked: $(du -sh "$img/runtime" | cut -f1)"

# The AOT cache: trained with the image's own java on the image's own jar, by a relative class path
# from the image's root, so the cache stays valid wherever the image is unpacked (the JVM checks the
# runtime's modules file and the jar's size and time, which dpkg and tar keep). bin/tryst passes it.
( cd "$img" && runtime/bin/java -XX:AOTCacheOutput=lib/tryst.aot -Xlog:disable -Xlog:all=error:stderr \
    -jar lib/tryst.jar --train-aot ) >"$build/aot-training.log" 2>&1 || {
  echo "release: AOT training failed; the end of $build/aot-training.log:" >&2
  tail -n 20 "$build/aot-training.log" >&2
  exit 1
}
# proof that the image's java takes it (AOTMode=on refuses to start without it)
"$img/runtime/bin/java" -XX:AOTMode=on -XX:AOTCache="$img/lib/tryst.aot" -Xlog:disable -Xlog:all=error:stderr \
  -jar "$img/lib/tryst.jar" --version >/dev/null
step "AOT cache trained: $(du -sh "$img/lib/tryst.aot" | cut -f1)"

# --- generated files: shell completion and the man page -------------------------------------------
# Made by the built jar from the command definitions (`tryst completion bash|zsh|fish`, `tryst man`),
# so they cannot drift from the commands. The paths are relative to the image and shipped by the
# tarball and the .deb alike (the .deb links them into /usr/share, see below).
gen() { # FILE COMMAND...: FILE from `tryst COMMAND...`
  local file="$img/$1"; shift
  mkdir -p "$(dirname "$file")"
  "$img/bin/tryst" "$@" >"$file.tmp" && [ -s "$file.tmp" ] || { echo "release: 'tryst $*' failed" >&2; exit 1; }
  mv "$file.tmp" "$file"; step "generated $file"
}
gen share/bash-completion/completions/tryst completion bash
gen share/zsh/vendor-completions/_tryst completion zsh
gen share/fish/vendor_completions.d/tryst.fish completion fish
gen share/man/man1/tryst.1 man

# --- the tarball ----------------------------------------------------------------------------------
cp "$here/copyright" "$img/COPYRIGHT"
cp "$root/docs/INSTALL.md" "$img/INSTALL.md"
tarname="tryst-$version-linux-x86_64"
tar -C "$build/image" --transform "s,^tryst,$tarname," --owner=0 --group=0 --numeric-owner \
  -czf "$build/$tarname.tar.gz" tryst
step "tarball $build/$tarname.tar.gz: $(du -h "$build/$tarname.tar.gz" | cut -f1)"

# --- the .deb -------------------------------------------------------------------------------------
# Built with dpkg-deb from a staged tree rather than jpackage: jpackage's .deb would want its own
# launcher (a native binary that cannot pass -XX:AOTCache with a path relative to itself, nor pick a
# GC per command), install under /opt, and needs resource overrides for every maintainer script and
# the unit anyway; here every file of the package is in packaging/ and visible in review.
debversion="${version/-/\~}"   # 0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT, which sorts before the 0.1.0 release
stage="$build/deb/root"
rm -rf "$build/deb"
mkdir -p "$stage/DEBIAN" "$stage/usr/lib" "$stage/usr/bin" "$stage/usr/lib/systemd/system" \
  "$stage/usr/share/doc/tryst" "$stage/etc/tryst"
cp -a "$img" "$stage/usr/lib/tryst"
rm -f "$stage/usr/lib/tryst/COPYRIGHT" "$stage/usr/lib/tryst/INSTALL.md"   # /usr/share/doc has them
ln -s ../lib/tryst/bin/tryst "$stage/usr/bin/tryst"
install -m 0644 "$here/tryst-server.service" "$stage/usr/lib/systemd/system/tryst-server.service"
install -m 0644 "$here/server.env" "$stage/etc/tryst/server.env"
install -m 0644 "$here/copyright" "$stage/usr/share/doc/tryst/copyright"
install -m 0644 "$root/docs/INSTALL.md" "$stage/usr/share/doc/tryst/INSTALL.md"
# what gen made above, where the shells and man look
for f in share/bash-completion/completions/tryst share/zsh/vendor-completions/_tryst \
         share/fish/vendor_completions.d/tryst.fish share/man/man1/tryst.1; do
  if [ -f "$img/$f" ]; then
    mkdir -p "$(dirname "$stage/usr/$f")"
    case "$f" in
      */man1/*) gzip -9n <"$img/$f" >"$stage/usr/$f.gz" ;;
      *) ln -s "/usr/lib/tryst/$f" "$stage/usr/$f" ;;
    esac
  fi
done
for s in postinst prerm postrm; do install -m 0755 "$here/deb/$s" "$stage/DEBIAN/$s"; done
install -m 0644 "$here/deb/conffiles" "$stage/DEBIAN/conffiles"
size="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
sed -e "s/@VERSION@/$debversion/" -e "s/@SIZE@/$size/" "$here/deb/control" >"$stage/DEBIAN/control"
deb="$build/tryst_${debversion}_amd64.deb"
# gzip: fast to make on a busy CI machine and read by every dpkg; xz would save ~30% for ~4x the time
dpkg-deb --root-owner-group -Zgzip -z9 --build "$stage" "$deb" >/dev/null
step "package $deb: $(du -h "$deb" | cut -f1), installed size $((size / 1024)) MiB"
