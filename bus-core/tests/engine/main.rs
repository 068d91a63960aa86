//! bus-core's integration tests: the filter engine and the worker runtime: one test binary, a module per area, so that the workspace links a handful of test
//! binaries rather than one per file (each links the whole dependency tree).

mod support;
mod worker_common;

mod filter_conformance;
mod filter_fuzz;
mod filter_proptest;
mod worker_ack;
mod worker_chaos;
mod worker_concurrency;
mod worker_execution;
mod worker_failures;
mod worker_heartbeat;
mod worker_shutdown;
