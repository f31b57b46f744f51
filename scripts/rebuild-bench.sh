#!/usr/bin/env bash
# Rebuild bench: how long a mapping edit takes to become a rebuilt release binary.
#
#   bash scripts/rebuild-bench.sh            # 3 rounds
#   ROUNDS=5 bash scripts/rebuild-bench.sh
#
# It copies mappings/ to a scratch directory, builds the release binary with
# OPSGENIE_PORT_MAPPINGS pointing there (not timed: the first build compiles everything), then
# each round:
#   - leaf:     edits one jq leaf (the first `title:`), runs `cargo build --release`, timed, and
#               checks that `opsgenie-port expand` shows the edit (the rebuild took effect);
#   - baseline: touches the command-line crate (cli/src/lib.rs) and rebuilds, timed: what every
#               mapping edit cost while the command line and the generated code shared a crate.
# Prints each time, the medians and their ratio. Uses CARGO_TARGET_DIR if set (default target/).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -r mappings "$scratch/mappings"
config="$scratch/mappings/port-app-config.yaml"
export OPSGENIE_PORT_MAPPINGS="$scratch/mappings"
target_dir=${CARGO_TARGET_DIR:-target}
binary="$target_dir/release/opsgenie-port"

grep -q '^ *title: \.name$' "$config" || { echo "no 'title: .name' leaf in $config" >&2; exit 1; }
echo "== warm-up build (not timed)"
cargo build --release --quiet

timed_build() {
  local start end
  start=$(date +%s.%N)
  cargo build --release --quiet
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {print b - a}'
}

leaf=()
base=()
for round in $(seq 1 "$rounds"); do
  # One leaf, a new value each round: `.name` becomes `(.name + "-rN")`.
  sed -i -E "0,/^( *)title: .*name.*$/s//\1title: (.name + \"-r$round\")/" "$config"
  t=$(timed_build)
  "$binary" expand | grep -q -- "-r$round" || { echo "round $round: the binary lacks the edit" >&2; exit 1; }
  leaf+=("$t")
  touch cli/src/lib.rs
  b=$(timed_build)
  base+=("$b")
  printf 'round %d: leaf edit %.2f s, command-line crate edit %.2f s\n' "$round" "$t" "$b"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ml=$(median "${leaf[@]}")
mb=$(median "${base[@]}")
printf 'median over %d rounds: leaf edit %.2f s; command-line crate edit %.2f s (%.1fx the leaf edit)\n' \
  "$rounds" "$ml" "$mb" "$(awk -v a="$mb" -v b="$ml" 'BEGIN {print a / b}')"
