//! Configuration: [`QueueConfig`] per queue runner and [`PoolConfig`] for the whole pool.

use std::time::Duration;

use super::backoff::{Backoff, Jitter};
use crate::backend::QueueSpec;
use crate::error::BusError;
use crate::limits::{MAX_BATCH_ENTRIES, MAX_RECEIVE_COUNT_RANGE, MAX_VISIBILITY_TIMEOUT, MAX_WAIT_TIME};

/// How a runner keeps a running handler's message invisible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Heartbeat {
    /// Extend the visibility every half visibility timeout (the default).
    #[default]
    Auto,
    /// Extend the visibility at this interval (shorter than the visibility timeout).
    Every(Duration),
    /// Never extend: a handler that outlives the visibility timeout sees its message redelivered.
    Off,
}

/// Where a runner runs its handlers.
///
/// A handler that finishes without waiting costs the same either way: it is polled once as soon as
/// its message is received. The difference is for handlers that wait (I/O) or compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// Inside the runner's own Tokio task, as futures driven together (like `FuturesUnordered`): no
    /// task spawn, channel or timer per message, the cheapest. The handlers of one queue then take
    /// turns on one thread: a handler that computes for long between two `.await`s holds up the
    /// others, their heartbeats and the receives of its queue.
    InRunner,
    /// Each handler in a Tokio task of its own (`tokio::spawn`): handlers of one queue run in
    /// parallel on a multi-thread runtime, and a handler that computes for long holds up only its
    /// own thread. Costs a task spawn and a cross-task wake-up per message.
    Spawned,
    /// [`InRunner`](Self::InRunner) until handlers hold the runner longer than this per poll (on
    /// average over a receive batch or a round of polls, measured on one in four), three measurements
    /// in a row so that a preemption of the thread does not count; then [`Spawned`](Self::Spawned)
    /// until the runner is restarted. The default, with 1 ms.
    Adaptive(Duration),
}

impl Default for Execution {
    fn default() -> Self {
        Execution::Adaptive(Duration::from_millis(1))
    }
}

/// How one queue is consumed.
///
/// ```
/// use std::time::Duration;
/// use bus_core::worker::QueueConfig;
/// let c = QueueConfig::new("email")
///     .with_concurrency(32)
///     .with_visibility_timeout(Duration::from_secs(60))
///     .with_max_receive_count(5);
/// c.validate().unwrap();
/// assert_eq!(c.heartbeat_interval(), Some(Duration::from_secs(30)));
/// assert!(QueueConfig::new("email").with_concurrency(0).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct QueueConfig {
    /// The queue's name.
    pub queue: String,
    /// At most this many handlers of this queue run at once (default 10).
    pub concurrency: usize,
    /// Long-poll wait of each receive, at most 20 s (default 20 s).
    pub wait_time: Duration,
    /// Visibility timeout requested on each receive, more than 0 and at most 12 h (default 30 s).
    pub visibility_timeout: Duration,
    /// Visibility extension of running handlers (default: every half visibility timeout).
    pub heartbeat: Heartbeat,
    /// Delay before a failed task's message is redelivered, from its receive count (default
    /// [`Backoff::default`]). `None` leaves the visibility alone: the message returns when the
    /// visibility timeout it was received with runs out.
    pub failure_backoff: Option<Backoff>,
    /// The `maxReceiveCount` of the queue's redrive policy, when it has one. A task that fails on
    /// that receive is counted as dead-lettered and its message released at once, so the redrive moves
    /// it to the dead-letter queue on the next receive.
    pub max_receive_count: Option<u32>,
    /// Delay between receives after a receive failed (default 100 ms doubling to 10 s, full jitter).
    pub receive_error_backoff: Backoff,
    /// Deletes are sent in batches of at most this many (1-10, default 10).
    pub ack_batch_size: usize,
    /// How long a delete waits for others to fill its batch (default 10 ms).
    pub ack_linger: Duration,
    /// After a handler is cancelled (its visibility could not be extended), how long it may take to
    /// return before the runtime drops it (default 5 s).
    pub cancel_grace: Duration,
    /// Where handlers run (default [`Execution::Adaptive`] with 1 ms).
    pub execution: Execution,
}

impl QueueConfig {
    /// A configuration with the defaults for the queue named `queue`.
    pub fn new(queue: impl Into<String>) -> Self {
        QueueConfig {
            queue: queue.into(),
            concurrency: 10,
            wait_time: MAX_WAIT_TIME,
            visibility_timeout: crate::limits::DEFAULT_VISIBILITY_TIMEOUT,
            heartbeat: Heartbeat::Auto,
            failure_backoff: Some(Backoff::default()),
            max_receive_count: None,
            receive_error_backoff: Backoff::exponential(Duration::from_millis(100), Duration::from_secs(10))
                .with_jitter(Jitter::Full),
            ack_batch_size: MAX_BATCH_ENTRIES,
            ack_linger: Duration::from_millis(10),
            cancel_grace: Duration::from_secs(5),
            execution: Execution::default(),
        }
    }

    /// A configuration matching a declared queue: its name, visibility timeout and redrive's
    /// `maxReceiveCount`.
    pub fn from_spec(spec: &QueueSpec) -> Self {
        let mut c = QueueConfig::new(spec.name.clone());
        if !spec.visibility_timeout.is_zero() {
            c.visibility_timeout = spec.visibility_timeout;
        }
        c.max_receive_count = spec.redrive.as_ref().map(|r| r.max_receive_count);
        c
    }

    /// Sets the per-queue concurrency cap.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n;
        self
    }

    /// Sets the long-poll wait.
    pub fn with_wait_time(mut self, d: Duration) -> Self {
        self.wait_time = d;
        self
    }

    /// Sets the visibility timeout requested on each receive.
    pub fn with_visibility_timeout(mut self, d: Duration) -> Self {
        self.visibility_timeout = d;
        self
    }

    /// Sets the heartbeat.
    pub fn with_heartbeat(mut self, heartbeat: Heartbeat) -> Self {
        self.heartbeat = heartbeat;
        self
    }

    /// Sets the failure backoff (`None`: leave the visibility timeout alone).
    pub fn with_failure_backoff(mut self, backoff: Option<Backoff>) -> Self {
        self.failure_backoff = backoff;
        self
    }

    /// Sets the redrive policy's `maxReceiveCount` (1-1000).
    pub fn with_max_receive_count(mut self, n: u32) -> Self {
        self.max_receive_count = Some(n);
        self
    }

    /// Sets the backoff between failed receives.
    pub fn with_receive_error_backoff(mut self, backoff: Backoff) -> Self {
        self.receive_error_backoff = backoff;
        self
    }

    /// Sets the delete batch size and linger.
    pub fn with_ack_batching(mut self, size: usize, linger: Duration) -> Self {
        self.ack_batch_size = size;
        self.ack_linger = linger;
        self
    }

    /// Sets the grace period of cancelled handlers.
    pub fn with_cancel_grace(mut self, d: Duration) -> Self {
        self.cancel_grace = d;
        self
    }

    /// Sets where handlers run.
    pub fn with_execution(mut self, execution: Execution) -> Self {
        self.execution = execution;
        self
    }

    /// The interval of visibility extensions, `None` when the heartbeat is off.
    pub fn heartbeat_interval(&self) -> Option<Duration> {
        match self.heartbeat {
            Heartbeat::Auto => Some(self.visibility_timeout / 2),
            Heartbeat::Every(d) => Some(d),
            Heartbeat::Off => None,
        }
    }

    /// Checks every field's range; the error names the field.
    pub fn validate(&self) -> Result<(), BusError> {
        let bad = |field: &str, reason: String| {
            Err(BusError::invalid_parameter(format!("QueueConfig.{field} (queue {:?})", self.queue), reason))
        };
        if self.queue.is_empty() {
            return bad("queue", "the queue name must not be empty".into());
        }
        if self.concurrency == 0 {
            return bad("concurrency", "must be at least 1".into());
        }
        if self.wait_time > MAX_WAIT_TIME {
            return bad("wait_time", format!("must be at most 20 s, got {:?}", self.wait_time));
        }
        if self.visibility_timeout.is_zero() || self.visibility_timeout > MAX_VISIBILITY_TIMEOUT {
            return bad(
                "visibility_timeout",
                format!("must be more than 0 and at most 12 h, got {:?}", self.visibility_timeout),
            );
        }
        if let Some(interval) = self.heartbeat_interval() {
            if interval.is_zero() || interval >= self.visibility_timeout {
                return bad(
                    "heartbeat",
                    format!(
                        "the interval must be more than 0 and less than the visibility timeout {:?}, got {interval:?}",
                        self.visibility_timeout
                    ),
                );
            }
        }
        if let Some(b) = &self.failure_backoff {
            b.validate()?;
        }
        self.receive_error_backoff.validate()?;
        if let Some(n) = self.max_receive_count {
            if !MAX_RECEIVE_COUNT_RANGE.contains(&n) {
                return bad("max_receive_count", format!("must be between 1 and 1000, got {n}"));
            }
        }
        if !(1..=MAX_BATCH_ENTRIES).contains(&self.ack_batch_size) {
            return bad("ack_batch_size", format!("must be between 1 and 10, got {}", self.ack_batch_size));
        }
        if self.execution == Execution::Adaptive(Duration::ZERO) {
            return bad("execution", "the adaptive limit must be more than 0".into());
        }
        Ok(())
    }
}

/// Settings of the whole pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// At most this many handlers run at once over all queues (default 64).
    pub max_concurrency: usize,
    /// The topic that `TASK_WORKER_FAILED` events are published to; `None` publishes none.
    pub failure_topic: Option<String>,
    /// How long [`shutdown`](super::WorkerPool::shutdown) lets in-flight handlers finish (default 30 s).
    pub shutdown_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig { max_concurrency: 64, failure_topic: None, shutdown_timeout: Duration::from_secs(30) }
    }
}

impl PoolConfig {
    /// Checks the fields.
    pub fn validate(&self) -> Result<(), BusError> {
        if self.max_concurrency == 0 {
            return Err(BusError::invalid_parameter("PoolConfig.max_concurrency", "must be at least 1"));
        }
        if self.failure_topic.as_deref() == Some("") {
            return Err(BusError::invalid_parameter("PoolConfig.failure_topic", "must not be empty"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(err: BusError) -> String {
        match err {
            BusError::InvalidParameter { name, .. } => name,
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_valid() {
        let c = QueueConfig::new("q");
        c.validate().unwrap();
        assert_eq!(c.heartbeat_interval(), Some(Duration::from_secs(15)));
        assert_eq!(c.wait_time, Duration::from_secs(20));
        assert_eq!(c.execution, Execution::Adaptive(Duration::from_millis(1)));
        PoolConfig::default().validate().unwrap();
    }

    #[test]
    fn rejects_out_of_range_fields() {
        let base = QueueConfig::new("q");
        let cases = [
            (base.clone().with_concurrency(0), "concurrency"),
            (base.clone().with_wait_time(Duration::from_secs(21)), "wait_time"),
            (base.clone().with_visibility_timeout(Duration::ZERO), "visibility_timeout"),
            (base.clone().with_visibility_timeout(Duration::from_secs(43_201)), "visibility_timeout"),
            (base.clone().with_heartbeat(Heartbeat::Every(Duration::from_secs(30))), "heartbeat"),
            (base.clone().with_heartbeat(Heartbeat::Every(Duration::ZERO)), "heartbeat"),
            (base.clone().with_max_receive_count(0), "max_receive_count"),
            (base.clone().with_max_receive_count(1001), "max_receive_count"),
            (base.clone().with_ack_batching(11, Duration::ZERO), "ack_batch_size"),
            (base.clone().with_ack_batching(0, Duration::ZERO), "ack_batch_size"),
            (QueueConfig::new(""), "queue"),
            (base.clone().with_execution(Execution::Adaptive(Duration::ZERO)), "execution"),
        ];
        for (config, field) in cases {
            let name = field_of(config.validate().unwrap_err());
            assert!(name.starts_with(&format!("QueueConfig.{field} ")), "{name} should name {field}");
        }
        let bad_backoff = base.clone().with_failure_backoff(Some(Backoff::default().with_multiplier(0.0)));
        assert_eq!(field_of(bad_backoff.validate().unwrap_err()), "Backoff.multiplier");
        assert!(base.clone().with_heartbeat(Heartbeat::Off).validate().is_ok());
        assert_eq!(base.with_heartbeat(Heartbeat::Off).heartbeat_interval(), None);
    }

    #[test]
    fn from_spec_copies_visibility_and_redrive() {
        let spec = QueueSpec::new("email")
            .with_visibility_timeout(Duration::from_secs(90))
            .with_dead_letter_queue("email-dlq", 4);
        let c = QueueConfig::from_spec(&spec);
        assert_eq!(c.queue, "email");
        assert_eq!(c.visibility_timeout, Duration::from_secs(90));
        assert_eq!(c.max_receive_count, Some(4));
        assert_eq!(c.heartbeat_interval(), Some(Duration::from_secs(45)));
        assert_eq!(QueueConfig::from_spec(&QueueSpec::new("plain")).max_receive_count, None);
    }

    #[test]
    fn pool_config_validation() {
        let zero = PoolConfig { max_concurrency: 0, ..PoolConfig::default() };
        assert_eq!(field_of(zero.validate().unwrap_err()), "PoolConfig.max_concurrency");
        let empty = PoolConfig { failure_topic: Some(String::new()), ..PoolConfig::default() };
        assert_eq!(field_of(empty.validate().unwrap_err()), "PoolConfig.failure_topic");
    }
}
