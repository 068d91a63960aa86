//! `bus-testkit`: testing tools for the event bus, and the one conformance suite every backend runs.
//!
//! - [`conformance`]: plain async scenarios over the [`bus_core::Backend`] traits (publish and receive,
//!   fan-out, every filter operator family through a real subscription, raw and enveloped delivery,
//!   visibility and redelivery, dead-letter redrive, delays, batches, FIFO, AWS's limits, topology,
//!   stats and purge), run with [`conformance::run_all`] or one test per scenario with
//!   [`conformance_tests!`]. What a backend cannot do is stated in its [`conformance::Capabilities`].
//!
//! ```
//! use bus_testkit::conformance::{scenarios, Capabilities, Capability};
//!
//! // The local SNS/SQS server lacks a few filter operators; those scenarios become "not applicable".
//! let moto = Capabilities::moto();
//! let wildcard = scenarios().iter().find(|s| s.name == "filter_wildcard").unwrap();
//! assert_eq!(moto.missing(wildcard.requires), vec![Capability::Wildcard]);
//! assert!(Capabilities::full().missing(wildcard.requires).is_empty());
//! ```
//!
//! No feature flags.

pub mod conformance;
pub mod faults;
pub mod harness;
mod runtime;
pub mod strategies;

pub use harness::{EventMatch, Records, TestBus, TestBusBuilder, TestBusError};
pub use runtime::run_paused;
