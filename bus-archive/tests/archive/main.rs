//! bus-archive's integration tests: one test binary, a module per area, so that the workspace links a handful of test
//! binaries rather than one per file (each links the whole dependency tree).

mod common;

mod feed;
mod memory;
mod replay;
mod store;
