//! The injectable clock: signature tolerance windows and the seen-sets read time only through it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time (webhook timestamps are Unix seconds, so this is `SystemTime`, not tokio
/// time). Any `Fn() -> SystemTime` closure is a clock.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> SystemTime;
}

impl<F> Clock for F
where
    F: Fn() -> SystemTime + Send + Sync + 'static,
{
    fn now(&self) -> SystemTime {
        self()
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until told to move: for tests of tolerance windows and TTLs.
///
/// Clones share the same time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use bus_webhook::{Clock, ManualClock};
/// let clock = ManualClock::at_unix(1_767_225_600);
/// clock.advance(Duration::from_secs(301));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_767_225_901));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    /// A clock showing `t`.
    pub fn new(t: SystemTime) -> Self {
        ManualClock(Arc::new(Mutex::new(t)))
    }

    /// A clock showing `secs` seconds after the Unix epoch.
    pub fn at_unix(secs: u64) -> Self {
        Self::new(UNIX_EPOCH + Duration::from_secs(secs))
    }

    /// Sets the time.
    pub fn set(&self, t: SystemTime) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }

    /// Moves the time forward by `d` (a move past what `SystemTime` can hold is ignored, with a warning).
    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match t.checked_add(d) {
            Some(next) => *t = next,
            None => tracing::warn!(?d, "ManualClock::advance overflows SystemTime; the clock stays where it is"),
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Seconds since the Unix epoch (negative before it).
pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Whether `timestamp` is within `tolerance` of `now`, in either direction.
pub(crate) fn within(timestamp: i64, now: i64, tolerance: Duration) -> bool {
    now.abs_diff(timestamp) <= tolerance.as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_are_clocks_and_windows_are_symmetric() {
        let fixed = || UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(unix_secs(Clock::now(&fixed)), 100);
        assert_eq!(unix_secs(UNIX_EPOCH - Duration::from_secs(5)), -5);
        let w = Duration::from_secs(300);
        assert!(within(1000, 1300, w) && within(1300, 1000, w));
        assert!(!within(999, 1300, w) && !within(1301, 1000, w));
        assert!(!within(i64::MIN, i64::MAX, w), "extreme timestamps neither overflow nor pass");
        assert!(within(i64::MIN, i64::MAX, Duration::MAX));
    }
}
