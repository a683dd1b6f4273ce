#!/usr/bin/env bash
# Every table of docs/performance.md in one go: builds once, then runs each scenario with
# bench.sh against confab and the Node.js reference (about 45 minutes on 2 cores; loopback
# only; each run bounded). Reports, logs and tables land in loadtest/results/<time>-all/.
#
#   loadtest/bench-all.sh            # all tables
#   loadtest/bench-all.sh persist    # only the runs whose names are given
#   OVERLOAD_CAPACITY=1500 loadtest/bench-all.sh overload
#
# Issue 16's runs: `persist` (with the group-commit-off variant `nogc`, PostgreSQL and SQLite),
# `overload` (1×, 3×, 10× OVERLOAD_CAPACITY sends/s in the fan-out shape [1500]; set it to the
# highest rate confab-pg accepts with ack p99 ≤ 250 ms, e.g. from a first `overload` run),
# `fanout50k` (500 sends/s to rooms of 100: 50k deliveries/s, CPU µs per delivery) and `join`
# (10,000 fresh users connecting and joining; `join-polling` opens them as socket.io-client does
# by default: long polling, then the upgrade to a websocket).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}
out=loadtest/results/$(date -u +%Y%m%dT%H%M%SZ)-all
mkdir -p "$out"
cargo build --release -q -p confab-server -p confab-loadgen

# name | bench.sh arguments (split at spaces; %20 stands for a space inside one argument)
# "Before group commit": the database's batching off, writes and access reads alike.
nogc=nogc:CONFAB_DATABASE__GROUP_COMMIT=false%20CONFAB_DATABASE__GROUP_READS=false
capacity=${OVERLOAD_CAPACITY:-1500}
runs=(
  "persist|--scenario persist --confab-db postgres,sqlite --refs node --confab-env $nogc"
  "overload|--scenario overload --confab-db postgres --refs node --confab-env $nogc --capacity $capacity --multiples 1,3,10"
  "fanout50k|--scenario fanout --confab-db postgres --refs node -- --rate 500 --duration 20s --drain 10s"
  "join|--scenario join --confab-db postgres --refs node"
  "join-polling|--scenario join --confab-db postgres --refs node -- --transport polling"
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
  args=("${args[@]//%20/ }")
  echo "== $name" >&2
  loadtest/bench.sh --no-build --out-dir "$out/$name" "${args[@]}" >"$out/$name.log" 2>&1 \
    || echo "bench-all: $name failed (see $out/$name.log)" >&2
  [ -f "$out/$name/table.md" ] && { echo "## $name"; cat "$out/$name/table.md"; echo; } >>"$out/tables.md"
done
echo "bench-all: tables in $out/tables.md" >&2
