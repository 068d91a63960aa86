//! [`FaultLog`]: what a fault schedule injected, in order.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::plan::Call;

/// The kind of an injected fault, as logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// A delivery was handed out twice.
    DuplicateDelivery,
    /// An acknowledgement reported success and deleted nothing.
    LostAck,
    /// A message was made visible again while its handler ran.
    VisibilityExpired,
    /// A completed task crashed before its acknowledgement.
    CrashBeforeAck,
    /// A received batch was held back.
    DelayedReceive,
    /// A received batch was handed out after the next one.
    ReorderedBatch,
    /// A call failed with an injected backend error.
    FailedCall(Call),
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::DuplicateDelivery => f.write_str("duplicate delivery"),
            FaultKind::LostAck => f.write_str("lost ack"),
            FaultKind::VisibilityExpired => f.write_str("visibility expired"),
            FaultKind::CrashBeforeAck => f.write_str("crash before ack"),
            FaultKind::DelayedReceive => f.write_str("delayed receive"),
            FaultKind::ReorderedBatch => f.write_str("reordered batch"),
            FaultKind::FailedCall(call) => write!(f, "failed {call}"),
        }
    }
}

/// One injected fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultEvent {
    /// What was injected.
    pub kind: FaultKind,
    /// The queue (or topic) it hit.
    pub target: String,
    /// The occurrence that triggered it (1-based, as counted by its rule).
    pub occurrence: u64,
    /// The message it hit, when it hit one.
    pub message_id: Option<String>,
    /// Virtual time since the schedule was created.
    pub at: Duration,
}

impl fmt::Display for FaultEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {:?} (occurrence {}, at {:?}", self.kind, self.target, self.occurrence, self.at)?;
        if let Some(id) = &self.message_id {
            write!(f, ", message {id}")?;
        }
        f.write_str(")")
    }
}

/// A shared, append-only log of injected faults. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct FaultLog {
    events: Arc<Mutex<Vec<FaultEvent>>>,
}

impl FaultLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn push(&self, event: FaultEvent) {
        tracing::debug!(fault = %event, "fault injected");
        self.events.lock().unwrap_or_else(PoisonError::into_inner).push(event);
    }

    /// A copy of every event so far.
    pub fn events(&self) -> Vec<FaultEvent> {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// How many faults of this kind were injected.
    pub fn count(&self, kind: FaultKind) -> usize {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).iter().filter(|e| e.kind == kind).count()
    }

    /// Whether nothing was injected.
    pub fn is_empty(&self) -> bool {
        self.events.lock().unwrap_or_else(PoisonError::into_inner).is_empty()
    }
}
