//! `bus-memory`: the in-memory SNS/SQS backend (topics, filtered fan-out, queues with SQS semantics on tokio time).
//!
//! Not yet written: issue 3 fills this crate.
