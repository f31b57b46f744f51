#!/usr/bin/env bash
# Builds the container image's contents without Docker, with the same steps as deploy/Dockerfile,
# then proves the result: a static executable that runs from an empty directory and inside a root
# file system holding nothing but the image's files, as the image's non-root user.
#
#   bash scripts/container-build.sh                                # mappings/ (the default)
#   MAPPINGS=mappings/ocean-2026 bash scripts/container-build.sh   # like --build-arg MAPPINGS=...
#
# Environment: MAPPINGS (mapping directory relative to the repository root, default `mappings`),
# CARGO_TARGET_DIR (default `target`), ROOTFS (where the image's files are staged, default
# $CARGO_TARGET_DIR/container-rootfs). Exit status is non-zero when the build or any proof fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$SECONDS

mappings=${MAPPINGS:-mappings}
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
rootfs=${ROOTFS:-$target_dir/container-rootfs}
target="$(uname -m)-unknown-linux-gnu"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

[ -d "$mappings" ] || fail "mapping directory $mappings does not exist"

# --- build: the Dockerfile's builder stage ------------------------------------------------------
step "cargo build (target $target, mappings $mappings)"
export OPSGENIE_PORT_MAPPINGS="$mappings"
export RUSTFLAGS="-C target-feature=+crt-static"
export CARGO_PROFILE_RELEASE_STRIP=symbols
export CARGO_TARGET_DIR="$target_dir"
build_started=$SECONDS
cargo build --release --locked --target "$target" -p opsgenie-port
build_seconds=$((SECONDS - build_started))

ca_bundle=/etc/ssl/certs/ca-certificates.crt
[ -s "$ca_bundle" ] || fail "$ca_bundle is missing (apt-get install ca-certificates)"
rm -rf "$rootfs"
mkdir -p "$rootfs/etc/ssl/certs"
cp "$target_dir/$target/release/opsgenie-port" "$rootfs/opsgenie-port"
cp "$ca_bundle" "$rootfs/etc/ssl/certs/"
echo 'opsgenie-port:x:65532:65532:opsgenie-port:/nonexistent:/sbin/nologin' >"$rootfs/etc/passwd"
echo 'opsgenie-port:x:65532:' >"$rootfs/etc/group"
binary="$rootfs/opsgenie-port"
"$binary" --version

# --- proof 1: a static executable ---------------------------------------------------------------
step "static linking"
file_out=$(file -b "$binary")
echo "file: $file_out"
case $file_out in
  *"statically linked"* | *"static-pie linked"*) ;;
  *) fail "not a static executable: $file_out" ;;
esac
ldd_out=$(ldd "$binary" 2>&1 || true)
echo "ldd: $ldd_out"
case $ldd_out in
  *"not a dynamic executable"* | *"statically linked"*) ;;
  *) fail "ldd lists shared libraries: $ldd_out" ;;
esac
if command -v readelf >/dev/null; then
  if readelf -d "$binary" | grep -q '(NEEDED)'; then
    fail "readelf shows NEEDED shared libraries"
  fi
  if readelf -l "$binary" | grep -q 'INTERP'; then
    fail "readelf shows a program interpreter"
  fi
  echo "readelf: no NEEDED entries, no INTERP segment"
fi
if strings "$binary" | grep -qi 'libssl\.so\|libcrypto\.so'; then
  fail "the binary refers to OpenSSL"
fi

# --- proof 2: runs from an empty directory ------------------------------------------------------
step "run from an empty directory"
scratch_dir=$(mktemp -d)
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
  [ -n "${hole_pid:-}" ] && kill "$hole_pid" 2>/dev/null || true
  rm -rf "$scratch_dir"
}
trap cleanup EXIT
mkdir "$scratch_dir/empty"
(
  cd "$scratch_dir/empty"
  env -i "$binary" --version
  # The mapping is compiled in: `expand` prints it with no files around.
  lines=$(env -i "$binary" expand | wc -l)
  [ "$lines" -gt 10 ] || fail "expand printed only $lines lines"
  echo "expand: $lines lines of generated Rust (the compiled mapping)"
  cp -r "$repo/$mappings" ./mappings
  env -i "$binary" validate mappings
) || fail "the binary does not run from an empty directory"

# --- proof 3: runs with nothing but the image's files, as UID 65532 -----------------------------
# chroot into the staged root file system: the same files as the `scratch` image. Kubernetes adds
# /etc/hosts and /etc/resolv.conf to a container; the test copy gets both (see below).
chroot_bin=$(command -v chroot || true)
if [ "$(id -u)" = 0 ] && [ -n "$chroot_bin" ]; then
  step "run inside the image's root file system as 65532:65532"
  jail="$scratch_dir/jail"
  cp -a "$rootfs" "$jail"
  printf '127.0.0.1 localhost\n' >"$jail/etc/hosts"
  in_jail() { env -i "$chroot_bin" --userspec=65532:65532 "$jail" /opsgenie-port "$@"; }
  in_jail --version
  # Without configuration `serve` must refuse to start with exit status 2, naming the variable.
  set +e
  message=$(in_jail serve 2>&1)
  status=$?
  set -e
  echo "serve without configuration: exit $status: $message"
  [ "$status" = 2 ] || fail "serve without configuration exited $status, expected 2"
  case $message in *OCEAN__*) ;; *) fail "the configuration error names no OCEAN__ variable" ;; esac

  # With a Port that accepts connections but never answers, `serve` is live (HTTP up) but not
  # ready (initialization pending), which is what the chart's probes rely on; the Port host name
  # is resolved through the jail's resolv.conf by a stand-in DNS server when port 53 is free
  # (static glibc's resolver at work), else through /etc/hosts. SIGTERM then stops it in 10 s.
  marker="$scratch_dir/port-contacted"
  read -r peer_port dns_ok hole_pid < <(python3 scripts/container_check_peer.py "$marker" &)
  port_host=localhost
  if [ "$dns_ok" = 1 ]; then
    echo 'nameserver 127.0.0.1' >"$jail/etc/resolv.conf"
    port_host=port-api.container-check.test
  fi
  app_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env -i OCEAN__PORT__CLIENT_ID=container-check-id OCEAN__PORT__CLIENT_SECRET=container-check-secret \
    OCEAN__INTEGRATION__CONFIG__API_TOKEN=container-check-token \
    OCEAN__PORT__BASE_URL="http://$port_host:$peer_port" \
    OCEAN__INTEGRATION__CONFIG__API_URL="http://$port_host:$peer_port" \
    OCEAN__EVENT_LISTENER__TYPE=WEBHOOKS_ONLY APPLICATION__PORT="$app_port" \
    "$chroot_bin" --userspec=65532:65532 "$jail" /opsgenie-port serve --log-format json \
    >"$scratch_dir/serve.log" 2>&1 &
  serve_pid=$!
  live=000
  for _ in $(seq 1 50); do
    live=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$app_port/health/live" || true)
    [ "$live" = 200 ] && break
    sleep 0.2
  done
  ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$app_port/health/ready" || true)
  metrics=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$app_port/metrics" || true)
  echo "serve: /health/live $live, /health/ready $ready (Port not answering), /metrics $metrics"
  for _ in $(seq 1 50); do
    [ -e "$marker" ] && break
    sleep 0.1
  done
  if [ "$live" != 200 ] || [ "$ready" != 503 ] || [ "$metrics" != 200 ] ||
    ! kill -0 "$serve_pid" 2>/dev/null || [ ! -e "$marker" ]; then
    cat "$scratch_dir/serve.log" >&2
    fail "serve inside the image's files: expected live 200, ready 503, metrics 200, still running, Port contacted"
  fi
  echo "serve: reached the stand-in Port at $port_host (name resolved via $([ "$dns_ok" = 1 ] && echo 'DNS, resolv.conf' || echo /etc/hosts))"
  kill -TERM "$serve_pid"
  stopped=no
  for _ in $(seq 1 100); do
    if ! kill -0 "$serve_pid" 2>/dev/null; then
      stopped=yes
      break
    fi
    sleep 0.1
  done
  [ "$stopped" = yes ] || fail "serve did not stop within 10 s of SIGTERM"
  set +e
  wait "$serve_pid"
  serve_status=$?
  set -e
  serve_pid=
  echo "serve: stopped by SIGTERM, exit $serve_status"
  if grep -q 'container-check-secret\|container-check-token' "$scratch_dir/serve.log"; then
    fail "a secret appears in serve's log"
  fi
else
  echo "== skipped: run inside the image's root file system (needs root for chroot)"
fi

# --- sizes and contents -------------------------------------------------------------------------
step "image contents ($rootfs)"
(cd "$rootfs" && find . -type f -printf '%10s  /%P\n' | sort -k2)
binary_bytes=$(stat -c %s "$binary")
ca_bytes=$(stat -c %s "$rootfs$ca_bundle")
layer_bytes=$(tar -C "$rootfs" -cf - . | wc -c)
gzip_bytes=$(tar -C "$rootfs" -cf - . | gzip -6 | wc -c)
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "binary:            $(mib "$binary_bytes") ($binary_bytes bytes)"
echo "CA bundle:         $(mib "$ca_bytes") ($ca_bytes bytes)"
echo "image (one layer): $(mib "$layer_bytes") uncompressed, $(mib "$gzip_bytes") gzip-compressed"
echo "build: ${build_seconds}s; total: $((SECONDS - started))s"
echo "OK: static image contents in $rootfs"
