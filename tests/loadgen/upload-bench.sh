#!/usr/bin/env bash
# Upload throughput (MiB/s) and the server's memory while one large file streams in, on
# the local directory, or on an S3-compatible server when S3_ENDPOINT is set (for example
# a moto server: /opt/moto/bin/moto_server -p 5005, then S3_ENDPOINT=http://127.0.0.1:5005).
#
#   tests/loadgen/upload-bench.sh            # 100 MiB, release build, RUNS (3) runs
#   BUILD=0 SIZE_MIB=20 tests/loadgen/upload-bench.sh   # the binary as built
#
# The client is curl on the same machine; the file is random (incompressible) bytes.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
SIZE_MIB=${SIZE_MIB:-100}
RUNS=${RUNS:-3}
ADDR=127.0.0.1:${PORT:-3200}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=confab_upload_bench_$$
WORK=$(mktemp -d)
[ "${BUILD:-1}" = 0 ] || cargo build --release --locked --bin confab >&2

env_s3=()
if [ -n "${S3_ENDPOINT:-}" ]; then
    bucket=confab-bench-$$
    curl -sf -X PUT "$S3_ENDPOINT/$bucket" >/dev/null
    env_s3=(S3_BUCKET="$bucket" S3_REGION=us-east-1 AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench)
fi

head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$WORK/file.bin"
env "${env_s3[@]}" MAX_UPLOAD_BYTES=$((SIZE_MIB * 1024 * 1024 + 1)) RATE_LIMITS=off \
    BIND_ADDR=$ADDR DATABASE_URL="$PG/$DB" UPLOAD_DIR="$WORK/uploads" RUST_LOG=warn \
    target/release/confab >"$WORK/server.log" 2>&1 &
PID=$!
cleanup() {
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    psql "$PG/postgres" -qAt -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 120); do curl -sf "http://$ADDR/healthz" >/dev/null && break; sleep 0.5; done

jar=$WORK/jar
curl -sf -c "$jar" -H 'content-type: application/json' \
    -d '{"username":"bench","password":"correct horse battery"}' "http://$ADDR/api/auth/register" >/dev/null
token=$(curl -sf -b "$jar" -H 'content-type: application/json' -d '{"name":"bench"}' \
    "http://$ADDR/api/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
best=""
for run in $(seq "$RUNS"); do
    before=$(rss)
    echo 0 >"$WORK/peak"
    ( peak=0; while kill -0 "$PID" 2>/dev/null && [ ! -e "$WORK/done" ]; do
        now=$(rss); [ "$now" -gt "$peak" ] && peak=$now && echo "$peak" >"$WORK/peak"; sleep 0.02
      done ) &
    sampler=$!
    result=$(curl -sS -o "$WORK/answer" -w '%{time_total} %{http_code}' \
        -H "Authorization: Bearer $token" -F "file=@$WORK/file.bin" "http://$ADDR/api/attachments")
    touch "$WORK/done"; wait "$sampler"; rm -f "$WORK/done"
    read -r seconds code <<<"$result"
    [ "$code" = 201 ] || { echo "upload answered $code: $(cat "$WORK/answer")" >&2; exit 1; }
    peak=$(cat "$WORK/peak")
    mibs=$(python3 -c "print(round($SIZE_MIB / $seconds, 1))")
    printf 'run %s: %s MiB in %.2f s = %s MiB/s; server RSS %s KiB before, peak %s KiB (+%s KiB)\n' \
        "$run" "$SIZE_MIB" "$seconds" "$mibs" "$before" "$peak" $((peak - before))
done
