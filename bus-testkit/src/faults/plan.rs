//! [`FaultPlan`]: which faults to inject, where, and the seed that makes them reproducible.

use std::fmt;
use std::time::Duration;

/// A backend call that a [`Fault::FailCall`] can make fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Call {
    /// `Subscription::receive`.
    Receive,
    /// `Subscription::ack` and `ack_batch` (one call each).
    Ack,
    /// `Subscription::change_visibility` and `change_visibility_batch` (heartbeats, retries, releases).
    ChangeVisibility,
    /// `Publisher::publish` and `publish_batch` (failure events included).
    Publish,
    /// `Backend::send`.
    Send,
}

impl Call {
    /// A short name (`receive`, `ack`, `change_visibility`, `publish`, `send`).
    pub fn as_str(self) -> &'static str {
        match self {
            Call::Receive => "receive",
            Call::Ack => "ack",
            Call::ChangeVisibility => "change_visibility",
            Call::Publish => "publish",
            Call::Send => "send",
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a fault fires, counted per rule (and per queue or topic for scoped rules).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Trigger {
    /// Only the n-th occurrence (1-based).
    Nth(u64),
    /// The first n occurrences.
    FirstN(u64),
    /// Every n-th occurrence (n, 2n, 3n, ...).
    EveryNth(u64),
    /// Each occurrence with this probability (0-1), decided from the plan's seed.
    Probability(f64),
}

/// One kind of misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// A received delivery is handed out a second time: in the same batch when the receive asked for
    /// more messages than it got, else on the next receive. Same message id, receipt handle and
    /// receive count, as when SQS delivers a message twice.
    DuplicateDelivery {
        /// Which deliveries are duplicated.
        when: Trigger,
    },
    /// An acknowledgement reports success but deletes nothing: the message comes back after its
    /// visibility timeout.
    LostAck {
        /// Which acknowledged messages are lost (counted per message, batches included).
        when: Trigger,
    },
    /// A received message becomes visible again `after` its receive, while its handler may still run
    /// (its heartbeat then fails on the stale receipt handle).
    ExpireVisibility {
        /// Which deliveries expire early.
        when: Trigger,
        /// Time from the receive to the expiry.
        after: Duration,
    },
    /// The handler does its work and returns `Complete`, then the task "crashes" before the message is
    /// acknowledged: the runtime sees a handler error and the message is redelivered.
    CrashBeforeAck {
        /// Which completed tasks crash.
        when: Trigger,
    },
    /// A received batch is held for `delay` before it is handed out (its visibility timeout runs).
    DelayReceive {
        /// Which receives (that returned messages) are delayed.
        when: Trigger,
        /// How long.
        delay: Duration,
    },
    /// A received batch is set aside and handed out, shuffled, after the batch of the next receive.
    /// The next receive is made at once (long-polling as asked, while the set-aside batch's visibility
    /// runs); when it finds nothing, the set-aside batch is handed out unchanged and nothing is logged.
    ReorderBatches {
        /// Which receives (that returned messages) are reordered.
        when: Trigger,
    },
    /// The call fails with [`BusError::Backend`](bus_core::BusError::Backend), code `InjectedFault`,
    /// without reaching the backend.
    FailCall {
        /// Which call.
        call: Call,
        /// Which occurrences of it.
        when: Trigger,
    },
}

impl Fault {
    /// The trigger of this fault.
    pub fn trigger(&self) -> Trigger {
        match *self {
            Fault::DuplicateDelivery { when }
            | Fault::LostAck { when }
            | Fault::ExpireVisibility { when, .. }
            | Fault::CrashBeforeAck { when }
            | Fault::DelayReceive { when, .. }
            | Fault::ReorderBatches { when }
            | Fault::FailCall { when, .. } => when,
        }
    }
}

/// A fault, optionally limited to one queue (or, for [`Call::Publish`], one topic).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// The queue or topic it is limited to; `None`: everywhere.
    pub target: Option<String>,
}

impl FaultRule {
    /// A rule that applies everywhere.
    pub fn new(fault: Fault) -> Self {
        FaultRule { fault, target: None }
    }

    /// Limits the rule to one queue (or topic, for publish faults).
    pub fn on(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Whether the rule applies to `target`.
    pub fn applies_to(&self, target: &str) -> bool {
        self.target.as_deref().is_none_or(|t| t == target)
    }
}

/// Why a [`FaultPlan`] is invalid.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultPlanError {
    /// A probability outside 0-1 (or not a number).
    #[error("fault rule {rule}: probability {probability} is not between 0 and 1")]
    Probability {
        /// The index of the rule in the plan.
        rule: usize,
        /// The probability given.
        probability: f64,
    },
    /// A count of 0 in `Nth`, `EveryNth` (they count from 1).
    #[error("fault rule {rule}: {trigger} counts from 1, got 0")]
    ZeroCount {
        /// The index of the rule in the plan.
        rule: usize,
        /// `Nth` or `EveryNth`.
        trigger: &'static str,
    },
    /// A delay or expiry beyond what SQS allows for a visibility timeout (12 h).
    #[error("fault rule {rule}: duration {duration:?} is longer than 12 hours")]
    Duration {
        /// The index of the rule in the plan.
        rule: usize,
        /// The duration given.
        duration: Duration,
    },
}

/// The faults to inject and the seed that decides when probabilistic ones fire.
///
/// Build it with the shorthands (which apply everywhere, with a probability) or with
/// [`rule`](Self::rule) for precise triggers and targets. See the [module docs](super).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    seed: u64,
    rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// An empty plan with this seed.
    pub fn new(seed: u64) -> Self {
        FaultPlan { seed, rules: Vec::new() }
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The rules, in the order they were added.
    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// Whether the plan injects nothing.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Adds a rule.
    pub fn rule(mut self, rule: FaultRule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Adds a fault that applies everywhere.
    pub fn fault(self, fault: Fault) -> Self {
        self.rule(FaultRule::new(fault))
    }

    /// Duplicates each delivery with probability `p`.
    pub fn duplicate_deliveries(self, p: f64) -> Self {
        self.fault(Fault::DuplicateDelivery { when: Trigger::Probability(p) })
    }

    /// Loses each acknowledgement with probability `p`.
    pub fn lose_acks(self, p: f64) -> Self {
        self.fault(Fault::LostAck { when: Trigger::Probability(p) })
    }

    /// Expires each delivery's visibility `after` its receive with probability `p`.
    pub fn expire_visibility(self, p: f64, after: Duration) -> Self {
        self.fault(Fault::ExpireVisibility { when: Trigger::Probability(p), after })
    }

    /// Crashes each completed task before its acknowledgement with probability `p`.
    pub fn crash_before_ack(self, p: f64) -> Self {
        self.fault(Fault::CrashBeforeAck { when: Trigger::Probability(p) })
    }

    /// Delays each received batch by `delay` with probability `p`.
    pub fn delay_receives(self, p: f64, delay: Duration) -> Self {
        self.fault(Fault::DelayReceive { when: Trigger::Probability(p), delay })
    }

    /// Reorders each received batch behind the next one with probability `p`.
    pub fn reorder_batches(self, p: f64) -> Self {
        self.fault(Fault::ReorderBatches { when: Trigger::Probability(p) })
    }

    /// Makes the n-th `call` (1-based, counted over all queues or topics) fail.
    pub fn fail_nth(self, call: Call, n: u64) -> Self {
        self.fault(Fault::FailCall { call, when: Trigger::Nth(n) })
    }

    /// Checks probabilities (0-1), counts (from 1) and durations (at most 12 h).
    pub fn validate(&self) -> Result<(), FaultPlanError> {
        for (rule, r) in self.rules.iter().enumerate() {
            match r.fault.trigger() {
                Trigger::Probability(p) if !(0.0..=1.0).contains(&p) => {
                    return Err(FaultPlanError::Probability { rule, probability: p })
                }
                Trigger::Nth(0) => return Err(FaultPlanError::ZeroCount { rule, trigger: "Nth" }),
                Trigger::EveryNth(0) => return Err(FaultPlanError::ZeroCount { rule, trigger: "EveryNth" }),
                _ => {}
            }
            if let Fault::ExpireVisibility { after: duration, .. } | Fault::DelayReceive { delay: duration, .. } =
                r.fault
            {
                if duration > bus_core::limits::MAX_VISIBILITY_TIMEOUT {
                    return Err(FaultPlanError::Duration { rule, duration });
                }
            }
        }
        Ok(())
    }
}
