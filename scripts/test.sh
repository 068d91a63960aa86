#!/usr/bin/env bash
# The one test command: formatting, lints, docs, and every test of the workspace, including the AWS
# backend's tests against a local SNS/SQS server (moto) that this script starts on 127.0.0.1 and stops,
# and the AWS backend's tests once more against `bus serve` (scripts/bus-serve.sh).
#
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --locked

step "cargo build (all targets)"
cargo build --workspace --all-targets --locked

step "cargo test --workspace, with the AWS backend against moto on 127.0.0.1"
scripts/moto.sh cargo test --workspace --locked

step "cargo test -p bus-aws, with the AWS backend against bus serve on 127.0.0.1"
scripts/bus-serve.sh cargo test -p bus-aws --locked
