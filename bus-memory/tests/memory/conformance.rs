//! The conformance suite (bus-testkit) on the memory backend: one test per scenario, each on a fresh
//! backend and a paused tokio clock, with every capability on.

use std::sync::Arc;

use bus_memory::MemoryBackend;
use bus_testkit::conformance::Capabilities;

bus_testkit::conformance_tests!(Arc::new(MemoryBackend::new()), Capabilities::full());
