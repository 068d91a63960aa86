//! the `bus` command's integration tests: one test binary, a module per area, so that the workspace links a handful of test
//! binaries rather than one per file (each links the whole dependency tree).

mod common;

mod archive_cli;
mod filter_conformance;
mod filter_test;
mod queue_dlq_cli;
mod serve;
mod topology_cli;
