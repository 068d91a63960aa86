mod common;
use bus_testkit::conformance::Capabilities;
use std::sync::Arc;
bus_testkit::conformance_tests!(
    Arc::new(common::backend().await),
    Capabilities { real_time: true, purge_rate_limit: true, ..Capabilities::full() }
);
