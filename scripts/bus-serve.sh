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
# AWS_EC2_METADATA_DISABLED=true, and BUS_AWS_TEST_SERVER=bus-serve unless already set: the server
# implements what AWS does (every filter operator, AWS's validation) and, being the memory engine, also
# purges, counts and applies subscription changes at once, so the AWS backend's tests run with those
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

start_bus_serve() { RUST_LOG="${BUS_SERVE_LOG:-warn}" exec "$BIN" serve --host 127.0.0.1 --port "$1"; }
export BUS_AWS_TEST_SERVER="${BUS_AWS_TEST_SERVER:-bus-serve}"
# shellcheck source=scripts/local-server.sh
. "$ROOT/scripts/local-server.sh"
run_against_server bus-serve.sh /_bus/health 30 start_bus_serve -- "$@"
