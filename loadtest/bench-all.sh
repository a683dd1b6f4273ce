#!/usr/bin/env bash
# Every table of docs/performance.md in one go: builds once, then runs each scenario with
# bench.sh against confab and the Node.js reference (about 25 minutes on 2 cores; loopback
# only; each run bounded). Reports, logs and tables land in loadtest/results/<time>-all/.
#
#   loadtest/bench-all.sh            # all tables
#   loadtest/bench-all.sh persist    # only the runs whose names are given
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}
out=loadtest/results/$(date -u +%Y%m%dT%H%M%SZ)-all
mkdir -p "$out"
cargo build --release -q -p confab-server -p confab-loadgen

# name | bench.sh arguments
runs=(
  "persist|--scenario persist --confab-db postgres,sqlite --refs node"
  "fanout|--scenario fanout --confab-db postgres,sqlite --refs node"
  "fanout400|--scenario fanout --confab-db postgres,sqlite --refs node -- --rate 400 --duration 20s --drain 10s"
  "fanout5k-100|--scenario fanout --confab-db postgres --refs node -- --clients 5000 --rooms 10 --rate 100 --duration 20s --drain 10s"
  "fanout5k-200|--scenario fanout --confab-db postgres --refs node -- --clients 5000 --rooms 10 --rate 200 --duration 20s --drain 10s"
  "dm|--scenario dm --refs node -- --duration 20s"
  "storm|--scenario storm --refs node"
  "idle|--scenario idle --confab-db postgres,sqlite --refs node"
  "cluster|--scenario cluster --refs node -- --duration 20s"
  "fanout-1node|--scenario fanout --refs none -- --duration 20s"
)
for run in "${runs[@]}"; do
  name=${run%%|*}
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then continue; fi
  read -r -a args <<<"${run#*|}"
  echo "== $name" >&2
  loadtest/bench.sh --no-build --out-dir "$out/$name" "${args[@]}" >"$out/$name.log" 2>&1 \
    || echo "bench-all: $name failed (see $out/$name.log)" >&2
  [ -f "$out/$name/table.md" ] && { echo "## $name"; cat "$out/$name/table.md"; echo; } >>"$out/tables.md"
done
echo "bench-all: tables in $out/tables.md" >&2
