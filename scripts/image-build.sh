#!/usr/bin/env bash
# Builds the release container image with buildah, without any registry: scripts/container-build.sh
# builds and proves the static binary and stages the image's files (the Dockerfile's builder
# stage), then buildah builds deploy/Dockerfile's final stage, verbatim, `FROM scratch` on those
# files. The image's configuration (user, entrypoint, cmd, labels, exposed port, env) is compared
# with the Dockerfile's, the size printed, and, where podman can run containers, `--version` and
# `demo` run inside the image (offline, read-only root file system, as in the Helm chart).
#
#   bash scripts/image-build.sh
#   MAPPINGS=mappings/ocean-2026 IMAGE=localhost/opsgenie-port:0.1.0-ocean bash scripts/image-build.sh
#
# Needs `apt-get install -y buildah podman` (Debian 12: buildah 1.28, podman 4.3), and runc where
# crun cannot start containers (see the run step); not part of CI.
# Environment: MAPPINGS, CARGO_TARGET_DIR, ROOTFS (as for scripts/container-build.sh), IMAGE
# (default localhost/opsgenie-port:<version>), SKIP_CONTAINER_BUILD=1 (use the files already in
# ROOTFS), DEMO_ALERTS (default 500). Exit status is non-zero when a build or a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$SECONDS

mappings=${MAPPINGS:-mappings}
target_dir=${CARGO_TARGET_DIR:-target}
case $target_dir in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
rootfs=${ROOTFS:-$target_dir/container-rootfs}
demo_alerts=${DEMO_ALERTS:-500}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

command -v buildah >/dev/null || fail "buildah is not installed (apt-get install -y buildah podman)"
echo "$(buildah --version)${EUID:+, uid $EUID}, storage driver $(buildah info --format '{{.store.GraphDriverName}}' 2>/dev/null || echo '?')"

if [ "${SKIP_CONTAINER_BUILD:-}" != 1 ]; then
  step "scripts/container-build.sh (static binary, staged in $rootfs)"
  MAPPINGS="$mappings" CARGO_TARGET_DIR="$target_dir" ROOTFS="$rootfs" bash scripts/container-build.sh
fi
[ -x "$rootfs/opsgenie-port" ] || fail "$rootfs/opsgenie-port is missing (run without SKIP_CONTAINER_BUILD)"

version_line=$("$rootfs/opsgenie-port" --version)
version=${version_line##* }
image=${IMAGE:-localhost/opsgenie-port:$version}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  revision="$revision-dirty"
fi
build_args=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "MAPPINGS=$mappings")

work=$(mktemp -d)
cleanup() {
  # Rootless, the demo's output belongs to a subordinate uid: remove it inside podman's namespace.
  rm -rf "$work" 2>/dev/null || podman unshare rm -rf "$work" || true
}
trap cleanup EXIT

# --- build: the Dockerfile's final stage on the staged files -----------------------------------
step "buildah build (final stage of deploy/Dockerfile, context $rootfs)"
python3 scripts/dockerfile_config.py final-stage deploy/Dockerfile >"$work/Containerfile"
# --pull=never: FROM scratch needs no registry, and none is asked. No identity label, so the
# labels are exactly the Dockerfile's.
buildah build --pull=never --identity-label=false --format oci \
  -f "$work/Containerfile" "${build_args[@]}" -t "$image" "$rootfs"

# --- the image agrees with the Dockerfile --------------------------------------------------------
step "image configuration = deploy/Dockerfile's final stage"
buildah inspect --type image "$image" >"$work/inspect.json"
python3 scripts/dockerfile_config.py compare-config deploy/Dockerfile "$work/inspect.json" "${build_args[@]}" ||
  fail "the image's configuration differs from deploy/Dockerfile's final stage"
python3 - "$work/inspect.json" <<'EOF'
import json, sys
config = json.load(open(sys.argv[1]))["OCIv1"]["config"]
print(f"user {config.get('User')}, entrypoint {config.get('Entrypoint')}, cmd {config.get('Cmd')}, "
      f"ports {sorted(config.get('ExposedPorts') or {})}, env {config.get('Env') or []}")
for key, value in sorted((config.get("Labels") or {}).items()):
    print(f"label {key}={value}")
EOF

# --- size ---------------------------------------------------------------------------------------
step "image size"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
# Uncompressed: the image's one layer as a tar; compressed: that layer as an OCI archive carries
# it (gzip), which is what a registry stores and a node pulls.
buildah push --quiet "$image" "oci-archive:$work/image.tar" >/dev/null
archive_bytes=$(stat -c %s "$work/image.tar")
tar -C "$work" -xf "$work/image.tar" --one-top-level=oci
layer_bytes=$(python3 - "$work/oci" <<'EOF'
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
index = json.loads((root / "index.json").read_text())
digest = index["manifests"][0]["digest"].split(":", 1)[1]
manifest = json.loads((root / "blobs/sha256" / digest).read_text())
print(sum(layer["size"] for layer in manifest["layers"]))
EOF
)
uncompressed_bytes=$(tar -C "$rootfs" -cf - . | wc -c)
echo "image $image: $(mib "$uncompressed_bytes") uncompressed, $(mib "$layer_bytes") compressed layer, oci-archive $(mib "$archive_bytes")"
limit=$((25 * 1024 * 1024))
[ "$uncompressed_bytes" -le "$limit" ] || fail "image is larger than 25 MiB uncompressed"

# --- run it --------------------------------------------------------------------------------------
# Podman's defaults may not start a container in a sandbox: crun 1.8 refuses hybrid cgroups (v1
# controllers beside a v2 mount), and podman's default RLIMIT_NOFILE/NPROC cannot be set without
# CAP_SYS_RESOURCE. So try the defaults, then lower limits, then runc with lower limits, and say
# which ran. PODMAN_GLOBAL_ARGS / PODMAN_RUN_ARGS (word-split) force one choice instead.
limits="--ulimit nofile=16384:16384 --ulimit nproc=4096:4096"
if [ -n "${PODMAN_GLOBAL_ARGS+x}${PODMAN_RUN_ARGS+x}" ]; then
  candidates=("${PODMAN_GLOBAL_ARGS:-}|${PODMAN_RUN_ARGS:-}")
else
  candidates=("|" "|$limits")
  if command -v runc >/dev/null; then candidates+=("--runtime runc|$limits"); fi
fi
podman_ok=
global_args=()
run_args=()
if command -v podman >/dev/null; then
  for candidate in "${candidates[@]}"; do
    read -r -a global_args <<<"${candidate%%|*}"
    read -r -a run_args <<<"${candidate#*|}"
    if podman "${global_args[@]}" run --rm --network none "${run_args[@]}" "$image" --version \
      >"$work/version" 2>"$work/podman.err"; then
      podman_ok=1
      break
    fi
    echo "podman${global_args[*]:+ ${global_args[*]}} run${run_args[*]:+ ${run_args[*]}}: $(tail -n 1 "$work/podman.err")" >&2
  done
fi
if [ -z "$podman_ok" ]; then
  if command -v podman >/dev/null; then
    echo "== skipped: running the image (podman cannot run containers here, see above)"
  else
    echo "== skipped: running the image (podman is not installed)"
  fi
else
  step "podman ${global_args[*]} run --network none ${run_args[*]} $image --version"
  cat "$work/version"
  [ "$(cat "$work/version")" = "$version_line" ] || fail "--version inside the image differs from the staged binary's"

  step "podman run $image demo (no network, read-only root file system, the image's user)"
  mkdir "$work/out"
  # The image runs as 65532, which must be able to write the catalog into the mounted directory.
  chown 65532:65532 "$work/out" 2>/dev/null || podman unshare chown 65532:65532 "$work/out"
  demo_started=$SECONDS
  podman "${global_args[@]}" run --rm --network none --read-only "${run_args[@]}" -v "$work/out:/out" \
    "$image" demo --alerts "$demo_alerts" --output /out/demo-catalog.json >"$work/demo.log" 2>&1 ||
    { cat "$work/demo.log" >&2; fail "demo failed inside the image"; }
  tail -n 6 "$work/demo.log"
  python3 - "$work/out/demo-catalog.json" <<'EOF' || fail "demo wrote no usable catalog"
import collections, json, sys
entities = json.load(open(sys.argv[1]))
per_blueprint = collections.Counter(entity["blueprint"] for entity in entities)
assert per_blueprint, "no entities"
print(f"demo: the container wrote {len(entities)} entities ({dict(sorted(per_blueprint.items()))})")
EOF
  echo "demo: $((SECONDS - demo_started))s"
fi
echo "total: $((SECONDS - started))s"
echo "OK: $image"
