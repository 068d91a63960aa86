#!/usr/bin/env bash
# Runs the filter workloads W1 and W3 in release mode, generating the citylots data into
# target/bench-data/ first if it is missing (full size: 213,068 lines, about 60 s to generate).
#
#   bus-bench/run.sh                 # W1 and W3 at full size
#   bus-bench/run.sh --n 20000       # a smaller W1 data set
#   bus-bench/run.sh w3              # only W3
#   bus-bench/run.sh w1 --families EXACT,COMBO --n 5000
#
# Every argument is passed to `filter-bench` (see `filter-bench --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "run.sh: python3 is needed to generate the citylots data" >&2; exit 2; }
command -v gzip >/dev/null || { echo "run.sh: gzip is needed to unpack the citylots data" >&2; exit 2; }
exec cargo run --release -p bus-bench --bin filter-bench -- "$@"
