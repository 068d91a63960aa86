//! [`Backoff`]: exponential delays with jitter, for failed tasks and failed receives.

use std::time::Duration;

use rand::Rng;

use crate::error::BusError;
use crate::limits::MAX_VISIBILITY_TIMEOUT;

/// How a delay is randomised, so that many failures do not come back at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Jitter {
    /// The exact exponential delay.
    None,
    /// Uniform in `[0, delay]` ("full jitter").
    Full,
    /// Uniform in `[delay / 2, delay]` ("equal jitter"): never less than half the delay.
    #[default]
    Equal,
}

/// An exponential backoff: `base * multiplier^(attempt - 1)`, capped at `max` and at the 12 h SQS
/// visibility limit, then jittered.
///
/// For failed tasks the attempt is the message's receive count, so the delay grows with every
/// redelivery without the runtime keeping any state.
///
/// ```
/// use std::time::Duration;
/// use bus_core::worker::{Backoff, Jitter};
/// let b = Backoff::exponential(Duration::from_secs(2), Duration::from_secs(60)).with_jitter(Jitter::None);
/// assert_eq!(b.delay(1), Duration::from_secs(2));
/// assert_eq!(b.delay(3), Duration::from_secs(8));
/// assert_eq!(b.delay(10), Duration::from_secs(60));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay of the first attempt (before jitter).
    pub base: Duration,
    /// The largest delay (before jitter); never more than 12 h.
    pub max: Duration,
    /// The growth factor per attempt (at least 1).
    pub multiplier: f64,
    /// The randomisation.
    pub jitter: Jitter,
}

impl Default for Backoff {
    /// 1 s doubling up to 5 minutes, with equal jitter.
    fn default() -> Self {
        Backoff::exponential(Duration::from_secs(1), Duration::from_secs(300))
    }
}

impl Backoff {
    /// Doubling from `base` up to `max`, with equal jitter.
    pub fn exponential(base: Duration, max: Duration) -> Self {
        Backoff { base, max, multiplier: 2.0, jitter: Jitter::Equal }
    }

    /// The same delay every time, without jitter.
    pub fn constant(delay: Duration) -> Self {
        Backoff { base: delay, max: delay, multiplier: 1.0, jitter: Jitter::None }
    }

    /// Sets the jitter.
    pub fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets the growth factor.
    pub fn with_multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = multiplier;
        self
    }

    /// Checks that the multiplier is a finite number of at least 1, that `base <= max` and that
    /// `max` is within the 12 h visibility limit.
    pub fn validate(&self) -> Result<(), BusError> {
        if !self.multiplier.is_finite() || self.multiplier < 1.0 {
            return Err(BusError::invalid_parameter(
                "Backoff.multiplier",
                format!("must be a finite number of at least 1, got {}", self.multiplier),
            ));
        }
        if self.base > self.max {
            return Err(BusError::invalid_parameter(
                "Backoff.base",
                format!("must not exceed max ({:?} > {:?})", self.base, self.max),
            ));
        }
        if self.max > MAX_VISIBILITY_TIMEOUT {
            return Err(BusError::invalid_parameter(
                "Backoff.max",
                format!("must be at most the 12 h visibility limit, got {} s", self.max.as_secs()),
            ));
        }
        Ok(())
    }

    /// The delay of `attempt` (1-based; 0 counts as 1) before jitter: the upper bound of [`delay`](Self::delay).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let max = self.max.min(MAX_VISIBILITY_TIMEOUT);
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.base.as_secs_f64() * self.multiplier.powi(exponent);
        if secs.is_finite() && secs < max.as_secs_f64() {
            Duration::from_secs_f64(secs)
        } else {
            max
        }
    }

    /// The jittered delay of `attempt`, drawn from the thread's random generator.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_with(attempt, &mut rand::thread_rng())
    }

    /// The jittered delay of `attempt`, drawn from `rng` (seed it for reproducible tests).
    pub fn delay_with<R: Rng + ?Sized>(&self, attempt: u32, rng: &mut R) -> Duration {
        let ceiling = self.ceiling(attempt);
        match self.jitter {
            Jitter::None => ceiling,
            Jitter::Full => ceiling.mul_f64(rng.gen_range(0.0..=1.0)),
            Jitter::Equal => ceiling / 2 + (ceiling / 2).mul_f64(rng.gen_range(0.0..=1.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{rngs::StdRng, SeedableRng};

    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn grows_exponentially_and_caps() {
        let b = Backoff::exponential(S(1), S(100)).with_jitter(Jitter::None);
        let delays: Vec<u64> = (1..=9).map(|n| b.delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 100, 100]);
        assert_eq!(b.delay(0), S(1), "attempt 0 counts as the first");
        assert_eq!(b.delay(u32::MAX), S(100), "huge attempts saturate");
        let triple = b.with_multiplier(3.0);
        assert_eq!(triple.delay(3), S(9));
    }

    #[test]
    fn never_exceeds_the_visibility_limit() {
        let b = Backoff { base: S(1), max: S(100_000), multiplier: 10.0, jitter: Jitter::None };
        assert_eq!(b.ceiling(20), MAX_VISIBILITY_TIMEOUT);
        assert!(b.validate().is_err(), "a max above 12 h is rejected");
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let mut rng = StdRng::seed_from_u64(7);
        let full = Backoff::exponential(S(1), S(60)).with_jitter(Jitter::Full);
        let equal = Backoff::exponential(S(1), S(60));
        let mut distinct = std::collections::HashSet::new();
        for attempt in 1..=8 {
            for _ in 0..200 {
                let c = full.ceiling(attempt);
                let f = full.delay_with(attempt, &mut rng);
                assert!(f <= c);
                let e = equal.delay_with(attempt, &mut rng);
                assert!(e >= c / 2 && e <= c, "{e:?} outside [{:?}, {c:?}]", c / 2);
                distinct.insert(e);
            }
        }
        assert!(distinct.len() > 1000, "jitter spreads the delays");
        let fixed = Backoff::constant(S(5));
        assert!((1..50).all(|n| fixed.delay_with(n, &mut rng) == S(5)));
    }

    #[test]
    fn validates_its_fields() {
        assert!(Backoff::default().validate().is_ok());
        assert!(Backoff::constant(Duration::ZERO).validate().is_ok());
        let bad_mult = Backoff::default().with_multiplier(0.5).validate().unwrap_err();
        assert!(bad_mult.to_string().contains("Backoff.multiplier"), "{bad_mult}");
        assert!(Backoff::default().with_multiplier(f64::NAN).validate().is_err());
        let inverted = Backoff::exponential(S(10), S(1)).validate().unwrap_err();
        assert!(inverted.to_string().contains("must not exceed max"), "{inverted}");
    }
}
