#!/usr/bin/env bash
# Runs a command against `bus serve` (the project's own SNS/SQS server, bus-server on bus-memory) on
# 127.0.0.1, on a free port, with dummy credentials; stops the server when the command ends. The
# counterpart of scripts/moto.sh, with the same environment, so the same tests run against either.
#
# Usage: scripts/bus-serve.sh COMMAND [ARGS...]     e.g. scripts/bus-serve.sh cargo test -p bus-aws
#
# The server is $BUS_BIN if set, else the `bus` binary built here (`cargo build -p bus-cli`, debug, or
# --release when BUS_SERVE_PROFILE=release). The command sees AWS_ENDPOINT_URL and BUS_AWS_TEST_ENDPOINT
# (the server's URL), AWS_ACCESS_KEY_ID=test, AWS_SECRET_ACCESS_KEY=test, AWS_REGION=us-east-1,
# AWS_EC2_METADATA_DISABLED=true, and BUS_AWS_TEST_SERVER=aws unless already set: the server implements
# what AWS does (every filter operator, AWS's validation), so the AWS backend's tests run with AWS's
# capabilities, not moto's. If the server cannot start or does not answer, the script fails.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

if [ "$#" -eq 0 ]; then
    echo "usage: scripts/bus-serve.sh COMMAND [ARGS...]" >&2
    exit 2
fi

log() { printf 'bus-serve.sh: %s\n' "$*" >&2; }

if [ -n "${BUS_BIN:-}" ]; then
    BIN="$BUS_BIN"
elif [ "${BUS_SERVE_PROFILE:-debug}" = "release" ]; then
    (cd "$ROOT" && cargo build --quiet --release -p bus-cli) >&2
    BIN="$TARGET/release/bus"
else
    (cd "$ROOT" && cargo build --quiet -p bus-cli) >&2
    BIN="$TARGET/debug/bus"
fi

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
ENDPOINT="http://127.0.0.1:$PORT"
LOG="$(mktemp "${TMPDIR:-/tmp}/bus-serve.XXXXXX.log")"

RUST_LOG="${BUS_SERVE_LOG:-warn}" "$BIN" serve --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
SERVER_PID=$!
stop() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    rm -f "$LOG"
}
trap stop EXIT

# Wait until the server answers (at most 30 s).
for _ in $(seq 1 150); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        log "bus serve exited before answering; its output:"
        cat "$LOG" >&2
        exit 1
    fi
    if python3 -c "import urllib.request; urllib.request.urlopen('$ENDPOINT/_bus/health', timeout=1)" 2>/dev/null; then
        break
    fi
    sleep 0.2
done
if ! python3 -c "import urllib.request; urllib.request.urlopen('$ENDPOINT/_bus/health', timeout=2)" 2>/dev/null; then
    log "bus serve did not answer on $ENDPOINT within 30 s; its output:"
    cat "$LOG" >&2
    exit 1
fi
log "bus serve ($BIN) answering on $ENDPOINT"

export AWS_ENDPOINT_URL="$ENDPOINT"
export BUS_AWS_TEST_ENDPOINT="$ENDPOINT"
export BUS_AWS_TEST_SERVER="${BUS_AWS_TEST_SERVER:-aws}"
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_SNS AWS_ENDPOINT_URL_SQS

set +e
"$@"
STATUS=$?
set -e
if [ "$STATUS" -ne 0 ] && [ -s "$LOG" ]; then
    log "the command failed; the server's log:"
    tail -n 50 "$LOG" >&2
fi
exit "$STATUS"
