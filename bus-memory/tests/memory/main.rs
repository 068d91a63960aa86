//! bus-memory's integration tests: one test binary, a module per area, so that the workspace links a handful of test
//! binaries rather than one per file (each links the whole dependency tree).

mod common;

mod admin;
mod batch;
mod conformance;
mod delay_retention;
mod fanout;
mod fanout_prop;
mod fifo;
mod limits;
mod long_poll;
mod purge_stats;
mod redrive;
mod topology;
mod visibility;
