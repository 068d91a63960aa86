//! `bus-aws`: the AWS backend (SNS publish, SQS consume, provisioning).
//!
//! Not yet written: issue 5 fills this crate.
