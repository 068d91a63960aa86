//! [`TestBusError`]: what can go wrong building or running a [`TestBus`](super::TestBus).

use bus_core::BusError;

use super::idle::NotIdle;
use crate::faults::FaultPlanError;

/// Errors of the [`TestBus`](super::TestBus).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestBusError {
    /// The backend refused something (an invalid topology, a failed publish, ...).
    #[error(transparent)]
    Bus(#[from] BusError),
    /// A handler (or the failure topic) names a queue or topic that the topology does not declare.
    #[error("{kind} {name:?} is not in the topology; it declares: {declared}")]
    NotInTopology {
        /// `queue` or `topic`.
        kind: &'static str,
        /// The name.
        name: String,
        /// The names the topology declares, comma-separated.
        declared: String,
    },
    /// Two handlers for one queue.
    #[error("queue {0:?} is given two handlers; give each queue one router")]
    DuplicateHandler(String),
    /// The builder was not given a topology.
    #[error("the test bus needs a topology: call .topology(...) on the builder")]
    NoTopology,
    /// The fault plan is invalid.
    #[error("invalid fault plan: {0}")]
    FaultPlan(#[from] FaultPlanError),
    /// Not on a current-thread tokio runtime, so time cannot be paused.
    #[error(
        "the test bus runs on paused tokio time, which needs a current-thread runtime: use \
         #[tokio::test(start_paused = true)] (or bus_testkit::run_paused)"
    )]
    NeedsCurrentThreadRuntime,
    /// The bus did not get idle within the virtual-time limit.
    #[error("{0}")]
    NotIdle(Box<NotIdle>),
}
