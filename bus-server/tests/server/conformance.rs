//! The conformance suite (bus-testkit) on the AWS backend (bus-aws) against an in-process `bus serve`:
//! the same scenarios the memory backend and moto run, over the AWS wire protocols. One server per
//! test. Capabilities: everything AWS does (every filter operator, purge limits, exact counts,
//! immediate subscription changes), in real time, so only the waits of minutes are not applicable.

use crate::common;

use std::sync::Arc;

use bus_server::{BusServer, ServerConfig};
use bus_testkit::conformance::Capabilities;

/// What `bus serve` can do: all of it, on the wall clock.
const BUS_SERVE: Capabilities = Capabilities { real_time: true, ..Capabilities::full() };

async fn backend() -> bus_aws::AwsBackend {
    let server = BusServer::bind(ServerConfig::default().with_port(0)).await.expect("server binds").spawn();
    let backend = bus_aws::AwsBackend::builder()
        .with_sdk_config(common::sdk_config(&server.endpoint()))
        .build()
        .await
        .expect("backend builds");
    // The server runs on the test's runtime until the test ends.
    drop(server);
    backend
}

bus_testkit::conformance_tests!(Arc::new(backend().await), BUS_SERVE);
