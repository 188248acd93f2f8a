#!/usr/bin/env bash
# Runs the whole performance table: every scenario against bare-sse (plain, or `--pg`
# wherever Confab persists) and Confab, each on fresh servers and fresh databases, best of
# RUNS runs, and prints one Markdown table with both figures and the ratio. Every run's
# JSON report stays in OUT.
#
#   tests/loadgen/bench-table.sh                 # the full table (about an hour)
#   ROWS="storm dms" RUNS=1 tests/loadgen/bench-table.sh
#
# Settings: ROWS (default: all of idle storm dms fanout100 fanout20 fanout10k ramp),
# RUNS (3), OUT (target/bench), STREAMS (19000, for idle and storm), PG
# (postgres://postgres@127.0.0.1:5432). Needs nothing else running on the machine.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT=$PWD
ROWS=${ROWS:-"idle storm dms fanout100 fanout20 fanout10k ramp"}
RUNS=${RUNS:-3}
OUT=${OUT:-$ROOT/target/bench}
STREAMS=${STREAMS:-19000}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
BARE_DIR=${BARE_DIR:-$ROOT/../shared/reference/bare-sse}
CONFAB_ADDR=127.0.0.1:3100
BARE_ADDR=127.0.0.1:7001
mkdir -p "$OUT"

echo "building release binaries" >&2
cargo build --release --locked -p confab -p loadgen >&2
CARGO_TARGET_DIR="$ROOT/target/bare-sse" cargo build --release \
    --manifest-path "$BARE_DIR/Cargo.toml" >&2
CONFAB=$ROOT/target/release/confab
LOADGEN=$ROOT/target/release/loadgen
BARE=$ROOT/target/bare-sse/release/bare-sse

PIDS=()
stop_servers() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap stop_servers EXIT

psql_admin() {
    psql "$PG/postgres" -qAt -c "$1" >/dev/null
}

wait_healthy() {
    for _ in $(seq 120); do
        curl -sf "http://$1/healthz" >/dev/null && return 0
        sleep 0.5
    done
    echo "no answer from $1" >&2
    return 1
}

# start_servers PG_FOR_BARE: fresh databases, fresh processes; sets CPID and BPID.
start_servers() {
    local with_pg=$1
    stop_servers
    psql_admin "DROP DATABASE IF EXISTS confab_bench WITH (FORCE)"
    psql_admin "DROP DATABASE IF EXISTS bare_bench WITH (FORCE)"
    RATE_LIMITS=off DB_POOL_SIZE=20 HEARTBEAT_SECS=15 RUST_LOG=warn \
        DATABASE_URL="$PG/confab_bench" BIND_ADDR=$CONFAB_ADDR \
        "$CONFAB" >"$OUT/confab.log" 2>&1 &
    CPID=$!
    PIDS+=("$CPID")
    if [ "$with_pg" = pg ]; then
        psql_admin "CREATE DATABASE bare_bench"
        "$BARE" --bind $BARE_ADDR --pg "$PG/bare_bench" >"$OUT/bare.log" 2>&1 &
    else
        "$BARE" --bind $BARE_ADDR >"$OUT/bare.log" 2>&1 &
    fi
    BPID=$!
    PIDS+=("$BPID")
    wait_healthy $CONFAB_ADDR
    wait_healthy $BARE_ADDR
}

# run ROW PG_FOR_BARE LOADGEN_ARGS...: RUNS runs, each on fresh servers.
run() {
    local row=$1 with_pg=$2
    shift 2
    for n in $(seq "$RUNS"); do
        echo "== $row, run $n of $RUNS: loadgen $*" >&2
        start_servers "$with_pg"
        "$LOADGEN" "$@" --bare "http://$BARE_ADDR" --confab "http://$CONFAB_ADDR" \
            --bare-pid "$BPID" --confab-pid "$CPID" -q \
            --json "$OUT/$row-$n.json" >"$OUT/$row-$n.md"
        stop_servers
    done
}

for row in $ROWS; do
    case $row in
        idle) run idle plain idle --streams "$STREAMS" --users 1000 --hold 60 ;;
        storm) run storm plain idle --streams "$STREAMS" --users 1000 \
            --open-concurrency "$STREAMS" --hold 5 ;;
        dms) run dms pg dms --pairs 500 --secs 30 ;;
        fanout100) run fanout100 pg fanout --members 1000 --rate 100 --secs 30 ;;
        fanout20) run fanout20 pg fanout --members 1000 --rate 20 --secs 30 ;;
        fanout10k) run fanout10k pg fanout --members 10000 --rate 10 --secs 30 ;;
        ramp) run ramp pg ramp --members 1000 --from 100 --step-secs 10 --max-p99-ms 1000 ;;
        *) echo "unknown row $row" >&2; exit 2 ;;
    esac
done

python3 "$ROOT/tests/loadgen/bench-table.py" "$OUT" $ROWS
