//! The conformance suite (bus-testkit) on the AWS backend, against the SNS/SQS server named by the
//! environment: run through `scripts/moto.sh cargo test -p bus-aws --test aws conformance`, which starts
//! moto 5.2.1 on 127.0.0.1. Without an endpoint every test fails with instructions (never skips).
//!
//! Capabilities: moto's ([`Capabilities::moto`]) unless `BUS_AWS_TEST_SERVER=aws`, then AWS's
//! ([`Capabilities::aws`]), or `BUS_AWS_TEST_SERVER=bus-serve` (what `scripts/bus-serve.sh` sets): the memory
//! engine's, over the wire and in real time (purge, exact stats and immediate subscription changes too). Each test gets its own backend; resource names carry a random per-run
//! prefix, so runs can share a server.

use crate::common;

use std::sync::Arc;

use bus_testkit::conformance::Capabilities;

fn capabilities() -> Capabilities {
    match std::env::var("BUS_AWS_TEST_SERVER").as_deref() {
        Ok("aws") => Capabilities::aws(),
        Ok("bus-serve") => Capabilities { real_time: true, ..Capabilities::full() },
        _ => Capabilities::moto(),
    }
}

bus_testkit::conformance_tests!(Arc::new(common::backend().await), capabilities());
