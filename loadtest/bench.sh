#!/usr/bin/env bash
# Side-by-side load run: confab and the Node.js references, one after the other, on this
# machine's loopback, each with a fresh database, the same confab-loadgen scenario, then a
# table with confab ÷ reference ratios. See loadtest/README.md.
#
#   loadtest/bench.sh --scenario fanout
#   loadtest/bench.sh --scenario persist --confab-db sqlite,postgres
#   loadtest/bench.sh --scenario fanout --refs node -- --clients 500 --rate 200 --duration 20s
#   loadtest/bench.sh --scenario persist --confab-env 'nogc:CONFAB_DATABASE__GROUP_COMMIT=false CONFAB_DATABASE__GROUP_READS=false'
#   loadtest/bench.sh --scenario overload --capacity 1000 --multiples 1,3,10
#
# Flags (defaults in brackets):
#   --scenario NAME        fanout | dm | storm | idle | persist | cluster | overload | join [fanout]
#   --confab-db LIST       sqlite, postgres or both, comma-separated [postgres]
#   --refs LIST            references to run: node, uws (skipped when uWebSockets.js is not
#                          installed), none [node,uws]
#   --observability LIST   confab's logs and traces: off (RUST_LOG=warn), on (the default INFO
#                          level, JSON access and event logs, every span exported over OTLP to
#                          a local sink), or off,on (both, one after the other) [off]
#   --confab-env 'TAG:VAR=VALUE [VAR=VALUE…]'
#                          one more confab run per --confab-db, labelled confab-<db>-TAG, with
#                          these variables (repeatable; the plain confab run stays) []
#   --rates LIST           run the scenario at each offered rate (msgs/s), comma-separated;
#                          every target runs at every rate, one table []
#   --capacity N --multiples LIST
#                          the same as --rates with N×each multiple (e.g. 1,3,10) []
#   --timeout SECS         stop one load generator run after this long [1200]
#   --no-build             use the existing release binaries
#   --pg URL               PostgreSQL server (no database part) [postgres://postgres@127.0.0.1:5432]
#   --redis URL            Redis for the cluster scenario [redis://127.0.0.1:6379]
#   --out-dir DIR          where reports, logs and the table go [loadtest/results/<time>-<scenario>]
#   -- ARGS                passed to confab-loadgen (e.g. --clients, --rate, --duration)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/confab-target}

scenario=fanout
confab_dbs=postgres
refs=node,uws
observability=off
build=1
pg=postgres://postgres@127.0.0.1:5432
redis=redis://127.0.0.1:6379
out_dir=
extra=()
confab_envs=()
rates=
capacity=
multiples=
run_timeout=1200
while [ $# -gt 0 ]; do
  case $1 in
    --scenario) scenario=$2; shift 2 ;;
    --confab-db) confab_dbs=$2; shift 2 ;;
    --refs) refs=$2; shift 2 ;;
    --confab-env) confab_envs+=("$2"); shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --capacity) capacity=$2; shift 2 ;;
    --multiples) multiples=$2; shift 2 ;;
    --timeout) run_timeout=$2; shift 2 ;;
    --observability) observability=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --pg) pg=${2%/}; shift 2 ;;
    --redis) redis=$2; shift 2 ;;
    --out-dir) out_dir=$2; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
    *) echo "bench: unknown flag $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $pg in postgres://*@127.*|postgres://*@localhost*|postgresql://*@127.*|postgresql://*@localhost*) ;;
  *) echo "bench: --pg must be a loopback PostgreSQL" >&2; exit 2 ;; esac
case $redis in redis://127.*|redis://localhost*) ;;
  *) echo "bench: --redis must be a loopback Redis" >&2; exit 2 ;; esac

for spec in "${confab_envs[@]}"; do
  tag=${spec%%:*}
  [[ $spec == *:* && $tag =~ ^[A-Za-z0-9_]+$ ]] || { echo "bench: --confab-env wants TAG:VAR=VALUE (got $spec)" >&2; exit 2; }
  for kv in ${spec#*:}; do
    [[ $kv =~ ^[A-Z_][A-Z0-9_]*=.*$ ]] || { echo "bench: --confab-env $tag: $kv is not VAR=VALUE" >&2; exit 2; }
  done
done
if [ -n "$capacity" ] || [ -n "$multiples" ]; then
  [ -n "$capacity" ] && [ -n "$multiples" ] || { echo "bench: --capacity and --multiples go together" >&2; exit 2; }
  [ -z "$rates" ] || { echo "bench: --rates or --capacity/--multiples, not both" >&2; exit 2; }
  rates=$(awk -v c="$capacity" -v m="$multiples" 'BEGIN { n = split(m, a, ","); for (i = 1; i <= n; i++) printf "%s%.10g", (i > 1 ? "," : ""), c * a[i] }')
fi
if [ -n "$rates" ]; then
  for a in "${extra[@]}"; do
    [ "$a" = --rate ] && { echo "bench: --rates/--multiples set the rate; drop --rate after --" >&2; exit 2; }
  done
  IFS=, read -r -a rate_list <<<"$rates"
else
  rate_list=('')
fi

nodes=1
[ "$scenario" = cluster ] && nodes=2
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out_dir=${out_dir:-$root/loadtest/results/$stamp-$scenario}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd) # absolute: servers start in their own data directories
log() { printf 'bench: %s\n' "$*" >&2; }

# Sockets: one descriptor per connection on each side. Raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "open files limit $(ulimit -n)"

# Binaries are copied aside so that a concurrent build cannot swap them mid-run.
bin=$out_dir/bin
mkdir -p "$bin"
if [ "$build" = 1 ]; then
  log "building confab and confab-loadgen (release)"
  cargo build --release -q -p confab-server -p confab-loadgen
fi
cp "$CARGO_TARGET_DIR/release/confab" "$CARGO_TARGET_DIR/release/confab-loadgen" "$bin/"

if [[ ,$refs, == *,node,* || ,$refs, == *,uws,* ]]; then
  (cd loadtest/reference-node && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; })
fi
if [[ ,$refs, == *,uws,* ]]; then
  (cd loadtest/reference-uws && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; })
fi

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
export CONFAB_JWT_SECRET=$secret
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
healthy() { # healthy <url> <pid>
  for _ in $(seq 1 150); do
    kill -0 "$2" 2>/dev/null || return 1
    curl -fsS -o /dev/null "$1/healthz" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

databases=()
pids=()
pids_sink=
cleanup() {
  [ -n "$pids_sink" ] && kill "$pids_sink" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  for db in "${databases[@]}"; do
    psql "$pg/postgres" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fresh_db() { # fresh_db <name>: (re)creates it and sets $db_url (not in a subshell: cleanup needs the name)
  psql "$pg/postgres" -qc "drop database if exists $1 with (force)" >/dev/null 2>&1
  psql "$pg/postgres" -qc "create database $1" >/dev/null
  databases+=("$1")
  db_url=$pg/$1
}

stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# run_target <label> <start-function> <args...>: starts the node(s), runs the scenario, stops.
reports=()
run_target() {
  local label=$1; shift
  local urls=() server_pids=() rate_args=()
  run_tag=$label
  if [ -n "$rate" ]; then
    run_tag=$label-$rate
    rate_args=(--rate "$rate")
  fi
  "$@" || { log "$run_tag: could not start; skipped"; stop_servers; return 0; }
  for i in "${!started_urls[@]}"; do
    urls+=(--url "${started_urls[$i]}")
    server_pids+=(--server-pid "${started_pids[$i]}")
  done
  local report=$out_dir/$scenario-$run_tag.json
  # Every target starts right after a checkpoint, so none pays for one (and its full-page
  # writes) that another did not.
  psql "$pg/postgres" -qc checkpoint >/dev/null 2>&1 || true
  log "$run_tag: running $scenario against ${started_urls[*]}"
  # Bounded: the load generator bounds its own phases; the timeout covers a hung setup.
  if timeout -k 10 "$run_timeout" "$bin/confab-loadgen" --scenario "$scenario" --target "$label" "${urls[@]}" "${server_pids[@]}" \
      --aux-comm postgres --aux-comm redis-server --out "$report" "${rate_args[@]}" "${extra[@]}" >>"$out_dir/summary.txt" 2>"$out_dir/loadgen-$run_tag.log"; then
    reports+=("$report")
    tail -n 1 "$out_dir/summary.txt" >&2
  else
    log "$run_tag: the load generator failed (see $out_dir/loadgen-$run_tag.log)"
    tail -n 5 "$out_dir/loadgen-$run_tag.log" >&2
  fi
  stop_servers
  sleep 2 # let sockets in TIME_WAIT and the database settle between targets
}

# An OTLP/HTTP sink for `--observability on`: answers every export with 200 and counts bytes.
start_otlp_sink() {
  [ -n "${otlp_url:-}" ] && return 0
  local port; port=$(free_port)
  python3 loadtest/otlp-sink.py "$port" >"$out_dir/otlp-sink.log" 2>&1 &
  pids_sink=$!
  otlp_url=http://127.0.0.1:$port
  for _ in $(seq 1 50); do
    curl -fsS -o /dev/null -X POST --data '' "$otlp_url/v1/traces" 2>/dev/null && return 0
    sleep 0.1
  done
  log "the OTLP sink did not start (see $out_dir/otlp-sink.log)"; return 1
}

start_confab() { # start_confab <sqlite|postgres> [off|on] [VAR=VALUE…]
  local db=$1 obs=${2:-off} url=
  shift 2 || shift $#
  local variant_env=("$@")
  local obs_env=(RUST_LOG=warn)
  if [ "$obs" = on ]; then
    start_otlp_sink || return 1
    obs_env=(RUST_LOG=info CONFAB_LOG_FORMAT=json OTEL_EXPORTER_OTLP_ENDPOINT="$otlp_url")
  fi
  started_urls=() started_pids=()
  if [ "$db" = postgres ] || [ "$nodes" -gt 1 ]; then
    fresh_db "lt_confab_$$"
    # Plain TCP like the references' `pg` client: sqlx would otherwise negotiate TLS
    # (sslmode=prefer), which costs ~20 % of persist throughput on loopback.
    url=$db_url?sslmode=disable
  fi
  for n in $(seq 1 "$nodes"); do
    local port; port=$(free_port)
    local data=$out_dir/confab-data-$run_tag # fresh per run: SQLite's file lives here
    mkdir -p "$data"
    local redis_env=()
    [ "$nodes" -gt 1 ] && redis_env=(CONFAB_REDIS_URL="$redis")
    (cd "$data" && exec env -u CONFAB_CONFIG -u CONFAB_DATABASE_URL -u CONFAB_REDIS_URL \
      CONFAB_BIND="127.0.0.1:$port" CONFAB_DATA_DIR="$data" CONFAB_DATABASE_URL="$url" \
      CONFAB_JWT_SECRET="$secret" CONFAB_LIMITS__MESSAGES_PER_MINUTE=0 "${obs_env[@]}" \
      "${redis_env[@]}" "${variant_env[@]}" "$bin/confab" serve) >"$out_dir/$run_tag-$n.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    healthy "http://127.0.0.1:$port" "$pid" || { log "confab did not start (see $out_dir/$run_tag-$n.log)"; return 1; }
    started_urls+=("http://127.0.0.1:$port")
    started_pids+=("$pid")
  done
}

start_reference() { # start_reference <node|uws>
  local kind=$1
  started_urls=() started_pids=()
  if [ "$kind" = uws ] && ! (cd loadtest/reference-uws && node -e 'require.resolve("uWebSockets.js")' 2>/dev/null); then
    log "uws: uWebSockets.js is not installed (it is not on the npm registry; see loadtest/README.md)"
    return 1
  fi
  fresh_db "lt_ref_${kind}_$$"
  local url=$db_url
  for n in $(seq 1 "$nodes"); do
    local port; port=$(free_port)
    local redis_env=()
    [ "$nodes" -gt 1 ] && redis_env=(REDIS_URL="$redis")
    (exec env PORT="$port" HOST=127.0.0.1 DATABASE_URL="$url" JWT_SECRET="$secret" \
      "${redis_env[@]}" node "loadtest/reference-$kind/server.js") >"$out_dir/$run_tag-$n.log" 2>&1 &
    local pid=$!
    pids+=("$pid")
    healthy "http://127.0.0.1:$port" "$pid" || { log "reference $kind did not start (see $out_dir/$run_tag-$n.log)"; return 1; }
    started_urls+=("http://127.0.0.1:$port")
    started_pids+=("$pid")
  done
}

IFS=, read -r -a dbs <<<"$confab_dbs"
IFS=, read -r -a observabilities <<<"$observability"
IFS=, read -r -a ref_list <<<"$refs"
# Every target at one rate, then the next rate: runs that are compared sit close in time.
for rate in "${rate_list[@]}"; do
  for db in "${dbs[@]}"; do
    case $db in
      sqlite) db_label=sqlite ;;
      postgres|pg) db=postgres; db_label=pg ;;
      *) log "unknown --confab-db $db"; exit 2 ;;
    esac
    for obs in "${observabilities[@]}"; do
      suffix=
      case $obs in off) ;; on) suffix=-obs ;; *) log "unknown --observability $obs"; exit 2 ;; esac
      run_target "confab-$db_label$suffix" start_confab "$db" "$obs"
      for spec in "${confab_envs[@]}"; do
        read -r -a variant <<<"${spec#*:}"
        run_target "confab-$db_label$suffix-${spec%%:*}" start_confab "$db" "$obs" "${variant[@]}"
      done
    done
  done
  for ref in "${ref_list[@]}"; do
    case $ref in
      node|uws) run_target "$ref" start_reference "$ref" ;;
      none|'') ;;
      *) log "unknown reference $ref"; exit 2 ;;
    esac
  done
done

if [ "${#reports[@]}" -eq 0 ]; then
  log "no run produced a report"
  exit 1
fi
{
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo
  node loadtest/compare.mjs "${reports[@]}"
} | tee "$out_dir/table.md"
log "reports, logs and table.md in $out_dir"
