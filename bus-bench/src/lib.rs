//! `bus-bench`: workload harnesses for the event bus, each with its baselines measured in the same run.
//!
//! - [`w1`]: matching throughput on the citylots stand-in, per cl2 policy family: our `FilterSet`, our
//!   policies one at a time, the `quamina` crate ([`quamina_baseline`]) and a naive evaluator ([`naive`]).
//! - [`w3`]: subscription scaling, 1 to 10,000 policies on one topic, attribute and body scope.
//!
//! The `filter-bench` binary runs them and prints one line per figure; see the crate's README.
//!
//! ```
//! use bus_bench::naive::NaivePolicy;
//!
//! let policy = NaivePolicy::new(&serde_json::json!({"properties": {"STREET": [{"prefix": "MA"}]}})).unwrap();
//! assert!(policy.matches_body(r#"{"properties": {"STREET": "MARKET"}}"#));
//! assert!(!policy.matches_body(r#"{"properties": {"STREET": "OAK"}}"#));
//! ```

pub mod data;
pub mod error;
pub mod measure;
pub mod naive;
pub mod quamina_baseline;
pub mod w1;
pub mod w3;

pub use error::BenchError;
