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

# Every build below selects the whole workspace with the same features, so cargo compiles each crate once and
# the test runs reuse the build's artifacts (a different package selection would re-resolve features and
# rebuild, doubling target/).
ALL=(--workspace --features bus-examples/aws --locked)

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy "${ALL[@]}" --all-targets -- -D warnings
cargo clippy -p bus-cli --no-default-features --all-targets --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps --locked

step "cargo build (all targets)"
cargo build "${ALL[@]}" --all-targets

step "cargo test --workspace, with the AWS backend and the AWS demo against moto on 127.0.0.1"
scripts/moto.sh cargo test "${ALL[@]}"

step "the AWS backend's tests and the AWS demo against bus serve on 127.0.0.1"
# The AWS backend's test binary and the demo's (in memory and on the AWS backend).
BUS_BIN="${CARGO_TARGET_DIR:-$(pwd)/target}/debug/bus" scripts/bus-serve.sh cargo test "${ALL[@]}" --test aws --test demo

printf '\nall checks passed in %ss\n' "$(( $(date +%s) - start ))"
