//! bus-aws's integration tests, against the SNS/SQS server named by `BUS_AWS_TEST_ENDPOINT`: one test binary, a module per area, so that the workspace links a handful of test
//! binaries rather than one per file (each links the whole dependency tree).

mod common;

mod batching;
mod conformance;
mod consumption;
mod messaging;
mod provisioning;
