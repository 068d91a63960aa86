//! Time: every instant of the backend comes from tokio's clock, so tests on a paused runtime control it.
//!
//! Internally a moment is a [`Nanos`] count since the backend was created. Wall-clock timestamps
//! (`SentTimestamp`, the envelope's `Timestamp`) are the wall time at creation plus that tokio-elapsed time,
//! so virtual time shows in them too.

use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// Nanoseconds since the backend's clock base.
pub(crate) type Nanos = u64;

/// A moment that never comes (used for "not yet received").
pub(crate) const NEVER: Nanos = u64::MAX;

/// Converts a duration to [`Nanos`], saturating.
pub(crate) fn nanos(d: Duration) -> Nanos {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The backend's clock: a tokio instant and the wall time taken together at creation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    base: Instant,
    wall: SystemTime,
}

impl Clock {
    /// A clock starting now.
    pub(crate) fn new() -> Self {
        Clock { base: Instant::now(), wall: SystemTime::now() }
    }

    /// The current moment.
    pub(crate) fn now(&self) -> Nanos {
        self.nanos_at(Instant::now())
    }

    /// The moment of a tokio instant.
    pub(crate) fn nanos_at(&self, t: Instant) -> Nanos {
        nanos(t.saturating_duration_since(self.base))
    }

    /// The tokio instant of a moment.
    pub(crate) fn instant(&self, at: Nanos) -> Instant {
        self.base + Duration::from_nanos(at)
    }

    /// The wall-clock time of a moment, truncated to milliseconds as SQS and SNS report it.
    pub(crate) fn wall(&self, at: Nanos) -> SystemTime {
        let t = self.wall + Duration::from_nanos(at);
        let ms = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        SystemTime::UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn virtual_time_shows_in_wall_time() {
        let clock = Clock::new();
        let t0 = clock.wall(clock.now());
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let t1 = clock.wall(clock.now());
        assert_eq!(t1.duration_since(t0).unwrap(), Duration::from_secs(3600));
        assert_eq!(clock.nanos_at(clock.instant(42)), 42);
    }
}
