//! the seed demo's tests, in memory and (with the `aws` feature) on SNS/SQS: one test binary, a module per area, so that the workspace links a handful of test
//! binaries rather than one per file (each links the whole dependency tree).

mod seed_demo;
mod seed_demo_aws;
