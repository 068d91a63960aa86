//! bus-server's integration tests: one test binary, a module per area, so that the workspace links a handful of test
//! binaries rather than one per file (each links the whole dependency tree).

mod common;

mod bad_input;
mod conformance;
mod lifecycle;
mod sns;
mod sqs_messages;
mod sqs_query;
mod sqs_queues;
