#!/usr/bin/env bash
# OpenAPI fuzz run: starts the debug server on a fresh database and a free port, registers
# a user, creates an API token and lets schemathesis run every operation with it. Fails if
# any response is a server error. Expects `schemathesis` on PATH (or $SCHEMATHESIS).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bin=${CONFAB_BIN:-target/debug/confab}
st=${SCHEMATHESIS:-schemathesis}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
db="confab_fuzz_$$"
base="http://127.0.0.1:$port"
log=$(mktemp)

DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" BIND_ADDR="127.0.0.1:$port" \
    RATE_LIMITS=off APP_ENV=development "$bin" >"$log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -f "$log"
}
trap cleanup EXIT
for _ in $(seq 60); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && break
    sleep 1
done

jar=$(mktemp)
curl -fs -c "$jar" -H 'content-type: application/json' \
    -d '{"username":"fuzzer","password":"correct horse battery"}' "$base/api/auth/register" >/dev/null
token=$(curl -fs -b "$jar" -H 'content-type: application/json' -d '{"name":"fuzz"}' \
    "$base/api/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
rm -f "$jar"

status=0
"$st" run "$base/api/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error \
    --max-examples "${FUZZ_MAX_EXAMPLES:-100}" \
    --workers 2 \
    --request-timeout 10 \
    --exclude-path /api/chat/sse \
    || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server log (errors) ---"
    grep -iE "error|panic" "$log" | tail -40 || true
fi
exit "$status"
