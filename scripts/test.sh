#!/usr/bin/env bash
# The one test command: formatting, lints, docs, and every test of the workspace, including the AWS
# backend's tests against two local SNS/SQS servers that this script starts on 127.0.0.1 and stops:
# moto (installed into target/ if it is not on the machine) and the project's own `bus serve`.
#
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
start=$(date +%s)

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p bus-examples --features aws --all-targets --locked -- -D warnings
cargo clippy -p bus-cli --no-default-features --all-targets --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --locked

step "cargo build (all targets)"
cargo build --workspace --all-targets --locked
cargo build -p bus-examples --features aws --all-targets --locked

step "cargo test --workspace, with the AWS backend against moto on 127.0.0.1"
scripts/moto.sh cargo test --workspace --locked

step "the seed demo on the AWS backend against moto"
scripts/moto.sh cargo test -p bus-examples --features aws --locked

step "the AWS backend's tests and the demo against bus serve on 127.0.0.1"
scripts/bus-serve.sh cargo test -p bus-aws -p bus-examples --features bus-examples/aws --locked

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - start ))"
