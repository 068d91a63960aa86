# Shared by scripts/moto.sh and scripts/bus-serve.sh (sourced, not run): start a local SNS/SQS server on a
# free 127.0.0.1 port, wait until it answers, point the AWS SDK environment at it with dummy credentials,
# run a command, and stop the server however the command ends.
#
# run_against_server NAME HEALTH_PATH WAIT_SECONDS START_FN -- COMMAND [ARGS...]
#   NAME          how the server is called in messages
#   HEALTH_PATH   a path that answers 2xx once the server is ready (e.g. /moto-api/)
#   WAIT_SECONDS  how long to wait for it
#   START_FN      a shell function called as `START_FN PORT`, which starts the server in the foreground
# The command sees AWS_ENDPOINT_URL and BUS_AWS_TEST_ENDPOINT, AWS_ACCESS_KEY_ID=test,
# AWS_SECRET_ACCESS_KEY=test, AWS_REGION=us-east-1 and AWS_EC2_METADATA_DISABLED=true. Exits with the
# command's status; fails if the server cannot start or does not answer.

server_log() { printf '%s: %s\n' "$SERVER_NAME" "$*" >&2; }

answers() {
    python3 -c "import urllib.request; urllib.request.urlopen('$1', timeout=$2)" 2>/dev/null
}

run_against_server() {
    SERVER_NAME="$1"
    local health="$2" wait_secs="$3" start_fn="$4"
    shift 5
    local port endpoint
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    endpoint="http://127.0.0.1:$port"
    SERVER_LOG="$(mktemp "${TMPDIR:-/tmp}/local-server.XXXXXX.log")"

    "$start_fn" "$port" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; rm -f "$SERVER_LOG"' EXIT

    local tries=$((wait_secs * 5)) i
    for ((i = 0; i < tries; i++)); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            server_log "the server exited before answering; its output:"
            cat "$SERVER_LOG" >&2
            exit 1
        fi
        answers "$endpoint$health" 1 && break
        sleep 0.2
    done
    if ! answers "$endpoint$health" 2; then
        server_log "the server did not answer on $endpoint within $wait_secs s; its output:"
        cat "$SERVER_LOG" >&2
        exit 1
    fi
    server_log "answering on $endpoint"

    export AWS_ENDPOINT_URL="$endpoint"
    export BUS_AWS_TEST_ENDPOINT="$endpoint"
    export AWS_ACCESS_KEY_ID=test
    export AWS_SECRET_ACCESS_KEY=test
    export AWS_REGION=us-east-1
    export AWS_DEFAULT_REGION=us-east-1
    export AWS_EC2_METADATA_DISABLED=true
    unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_SNS AWS_ENDPOINT_URL_SQS

    local status
    set +e
    "$@"
    status=$?
    set -e
    if [ "$status" -ne 0 ] && [ -s "$SERVER_LOG" ]; then
        server_log "the command failed; the server's log (last 50 lines):"
        tail -n 50 "$SERVER_LOG" >&2
    fi
    exit "$status"
}
