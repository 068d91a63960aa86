#!/usr/bin/env bash
# Runs a command against a local SNS/SQS server: moto's server (PyPI `moto[server]`, pinned 5.2.1) on
# 127.0.0.1, on a free port, with dummy credentials; stops the server when the command ends.
#
# Usage: scripts/moto.sh COMMAND [ARGS...]     e.g. scripts/moto.sh cargo test -p bus-aws
#
# The server is, in order of preference: $MOTO_SERVER (a path to a moto_server executable); a
# `moto_server` on PATH whose Python has moto 5.2.1; or target/moto-venv/bin/moto_server, installed on
# first use into a virtualenv under target/ (needs only python3 with venv and pip, about 30 s).
# The command sees AWS_ENDPOINT_URL and BUS_AWS_TEST_ENDPOINT (the server's URL), AWS_ACCESS_KEY_ID=test,
# AWS_SECRET_ACCESS_KEY=test, AWS_REGION=us-east-1 and AWS_EC2_METADATA_DISABLED=true, so nothing
# reaches beyond loopback. If the server cannot be installed or does not answer, the script fails.
set -euo pipefail

MOTO_VERSION=5.2.1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/moto-venv"

if [ "$#" -eq 0 ]; then
    echo "usage: scripts/moto.sh COMMAND [ARGS...]" >&2
    exit 2
fi

log() { printf 'moto.sh: %s\n' "$*" >&2; }

find_server() {
    if [ -n "${MOTO_SERVER:-}" ]; then
        echo "$MOTO_SERVER"
        return
    fi
    if command -v moto_server >/dev/null 2>&1 \
        && [ "$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || true)" = "$MOTO_VERSION" ]; then
        command -v moto_server
        return
    fi
    if [ ! -x "$VENV/bin/moto_server" ]; then
        log "installing moto[server]==$MOTO_VERSION into $VENV"
        mkdir -p "$TARGET"
        python3 -m venv "$VENV" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
    fi
    echo "$VENV/bin/moto_server"
}

SERVER="$(find_server)"
start_moto() { exec "$SERVER" -H 127.0.0.1 -p "$1"; }
# shellcheck source=scripts/local-server.sh
. "$ROOT/scripts/local-server.sh"
run_against_server moto.sh /moto-api/ 60 start_moto -- "$@"
