//! Fault injection: decorators over the backend traits that misbehave on a reproducible schedule.
//!
//! A [`FaultPlan`] lists the faults to inject and a `u64` seed. Every decision ("is this the delivery
//! that gets duplicated?") is a pure function of the seed, the fault, the queue or topic and a call
//! counter, so the same plan on the same sequence of calls injects the same faults: a failing property
//! test replays from its seed. What was injected is written to a [`FaultLog`].
//!
//! | fault | where | what happens |
//! |---|---|---|
//! | [`Fault::DuplicateDelivery`] | receive | a delivery is handed out again (same batch if there is room, else the next receive) |
//! | [`Fault::LostAck`] | ack | the ack reports success but the message stays, to be redelivered |
//! | [`Fault::ExpireVisibility`] | receive | the message becomes visible again `after` its receive, while its handler runs |
//! | [`Fault::CrashBeforeAck`] | handler | the handler did its work, then "crashes": the task fails instead of completing |
//! | [`Fault::DelayReceive`] | receive | a received batch is held back for `delay` (its visibility keeps running) |
//! | [`Fault::ReorderBatches`] | receive | a batch is set aside and handed out after the next one, shuffled |
//! | [`Fault::FailCall`] | any call | the chosen call fails with [`BusError::Backend`](bus_core::BusError::Backend) (code `InjectedFault`) |
//!
//! [`FaultyBackend`] wraps any [`Backend`](bus_core::Backend) (its subscriptions and publisher inherit
//! the plan); [`FaultySubscription`] and [`FaultyPublisher`] wrap single handles; [`faulty_router`]
//! wraps a worker [`Router`](bus_core::Router)'s handlers for [`Fault::CrashBeforeAck`]. The
//! [`TestBus`](crate::TestBus) plugs a plan in with `.faults(plan)`.
//!
//! ```
//! use std::time::Duration;
//! use bus_testkit::faults::{Call, FaultPlan, FaultRule, Fault, Trigger};
//!
//! let plan = FaultPlan::new(42)
//!     .duplicate_deliveries(0.3)
//!     .lose_acks(0.1)
//!     .rule(FaultRule::new(Fault::FailCall { call: Call::Receive, when: Trigger::Nth(2) }).on("email"));
//! plan.validate().unwrap();
//! assert_eq!(plan.rules().len(), 3);
//! assert!(FaultPlan::new(1).lose_acks(1.5).validate().is_err());
//! ```

mod backend;
mod handler;
mod log;
mod plan;
mod schedule;
mod subscription;

pub use backend::{FaultyBackend, FaultyPublisher};
pub use handler::faulty_router;
pub use log::{FaultEvent, FaultKind, FaultLog};
pub use plan::{Call, Fault, FaultPlan, FaultPlanError, FaultRule, Trigger};
pub(crate) use schedule::mix;
pub use schedule::FaultSchedule;
pub use subscription::FaultySubscription;
