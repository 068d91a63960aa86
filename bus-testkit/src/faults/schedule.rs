//! [`FaultSchedule`]: decides, reproducibly from the plan's seed, whether a fault fires now.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use bus_core::BusError;
use tokio::time::Instant;

use super::log::{FaultEvent, FaultKind, FaultLog};
use super::plan::{Call, Fault, FaultPlan, FaultPlanError, Trigger};

/// The live state of a [`FaultPlan`]: occurrence counters and the [`FaultLog`].
///
/// Every decision is a pure function of the seed, the rule and the occurrence number, so a plan replays
/// exactly on the same sequence of calls (tests on a current-thread runtime with paused time are
/// deterministic). Occurrences are counted per rule: over every target for a rule without a target,
/// over its own target otherwise.
#[derive(Debug)]
pub struct FaultSchedule {
    plan: FaultPlan,
    counters: Mutex<HashMap<usize, u64>>,
    salt: Mutex<u64>,
    log: FaultLog,
    start: Instant,
}

/// A fault that fired: the rule's fault and the occurrence that triggered it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fired {
    pub(crate) fault: Fault,
    pub(crate) occurrence: u64,
}

impl FaultSchedule {
    /// A schedule for `plan`, after checking it.
    pub fn new(plan: FaultPlan) -> Result<Arc<Self>, FaultPlanError> {
        plan.validate()?;
        Ok(Arc::new(FaultSchedule {
            plan,
            counters: Mutex::default(),
            salt: Mutex::new(0),
            log: FaultLog::new(),
            start: Instant::now(),
        }))
    }

    /// The plan.
    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }

    /// The log of what was injected.
    pub fn log(&self) -> &FaultLog {
        &self.log
    }

    /// Counts one occurrence for every rule that `select`s this fault and applies to `target`, and
    /// returns the first rule that fires.
    pub(crate) fn fires(&self, target: &str, select: impl Fn(&Fault) -> bool) -> Option<Fired> {
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let mut fired = None;
        for (index, rule) in self.plan.rules().iter().enumerate() {
            if !select(&rule.fault) || !rule.applies_to(target) {
                continue;
            }
            let n = counters.entry(index).or_insert(0);
            *n += 1;
            if fired.is_none() && self.decide(index, rule.fault.trigger(), *n) {
                fired = Some(Fired { fault: rule.fault, occurrence: *n });
            }
        }
        fired
    }

    fn decide(&self, rule: usize, trigger: Trigger, n: u64) -> bool {
        match trigger {
            Trigger::Nth(k) => n == k,
            Trigger::FirstN(k) => n <= k,
            Trigger::EveryNth(k) => k > 0 && n % k == 0,
            Trigger::Probability(p) => unit(mix(self.plan.seed() ^ mix(rule as u64 + 1) ^ mix(n).rotate_left(17))) < p,
        }
    }

    /// Whether `call` on `target` fails now; when it does, logs it and returns the injected error.
    pub(crate) fn fail_call(&self, call: Call, target: &str) -> Option<BusError> {
        let fired = self.fires(target, |f| matches!(f, Fault::FailCall { call: c, .. } if *c == call))?;
        self.record(FaultKind::FailedCall(call), target, fired.occurrence, None);
        Some(injected_error(call, fired.occurrence))
    }

    /// Logs an injected fault.
    pub(crate) fn record(&self, kind: FaultKind, target: &str, occurrence: u64, message_id: Option<&str>) {
        self.log.push(FaultEvent {
            kind,
            target: target.to_owned(),
            occurrence,
            message_id: message_id.map(str::to_owned),
            at: self.start.elapsed(),
        });
    }

    /// A fresh deterministic random stream (for shuffles), the n-th one of this schedule.
    pub(crate) fn stream(&self) -> SplitMix {
        let mut salt = self.salt.lock().unwrap_or_else(PoisonError::into_inner);
        *salt += 1;
        SplitMix(self.plan.seed() ^ mix(*salt ^ 0x5EED))
    }
}

/// The error an injected call failure returns.
pub(crate) fn injected_error(call: Call, occurrence: u64) -> BusError {
    BusError::Backend {
        service: "testkit",
        code: Some("InjectedFault".to_owned()),
        request_id: None,
        message: format!("injected fault: {call} call {occurrence} fails"),
        source: None,
    }
}

/// splitmix64's finaliser.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A uniform number in [0, 1) from 64 random bits.
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A small deterministic random stream.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Shuffles `items` (Fisher-Yates).
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::FaultRule;

    fn firing(plan: FaultPlan, target: &str, n: usize) -> Vec<bool> {
        let schedule = FaultSchedule::new(plan).unwrap();
        (0..n).map(|_| schedule.fires(target, |f| matches!(f, Fault::LostAck { .. })).is_some()).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn triggers_count_from_one() {
        let nth = FaultPlan::new(0).fault(Fault::LostAck { when: Trigger::Nth(3) });
        assert_eq!(firing(nth, "q", 5), [false, false, true, false, false]);
        let first = FaultPlan::new(0).fault(Fault::LostAck { when: Trigger::FirstN(2) });
        assert_eq!(firing(first, "q", 4), [true, true, false, false]);
        let every = FaultPlan::new(0).fault(Fault::LostAck { when: Trigger::EveryNth(2) });
        assert_eq!(firing(every, "q", 4), [false, true, false, true]);
    }

    #[tokio::test(start_paused = true)]
    async fn probabilities_replay_from_the_seed() {
        let a = firing(FaultPlan::new(7).lose_acks(0.3), "q", 2000);
        assert_eq!(a, firing(FaultPlan::new(7).lose_acks(0.3), "q", 2000));
        assert_ne!(a, firing(FaultPlan::new(8).lose_acks(0.3), "q", 2000));
        let rate = a.iter().filter(|x| **x).count() as f64 / 2000.0;
        assert!((0.25..0.35).contains(&rate), "rate {rate}");
        assert!(firing(FaultPlan::new(7).lose_acks(0.0), "q", 100).iter().all(|x| !x));
        assert!(firing(FaultPlan::new(7).lose_acks(1.0), "q", 100).iter().all(|x| *x));
    }

    #[tokio::test(start_paused = true)]
    async fn targeted_rules_skip_other_targets() {
        let plan = FaultPlan::new(0).rule(FaultRule::new(Fault::LostAck { when: Trigger::Nth(1) }).on("email"));
        let schedule = FaultSchedule::new(plan).unwrap();
        let lost = |t: &str| schedule.fires(t, |f| matches!(f, Fault::LostAck { .. })).is_some();
        assert!(!lost("billing"));
        assert!(lost("email"));
        assert!(!lost("email"));
    }

    #[tokio::test(start_paused = true)]
    async fn failed_calls_are_logged_backend_errors() {
        let schedule = FaultSchedule::new(FaultPlan::new(0).fail_nth(Call::Receive, 2)).unwrap();
        assert!(schedule.fail_call(Call::Receive, "q").is_none());
        assert!(schedule.fail_call(Call::Ack, "q").is_none());
        let err = schedule.fail_call(Call::Receive, "q").unwrap();
        assert!(matches!(&err, BusError::Backend { code: Some(c), .. } if c == "InjectedFault"), "{err:?}");
        assert_eq!(err.to_string(), "testkit error InjectedFault: injected fault: receive call 2 fails");
        assert_eq!(schedule.log().count(FaultKind::FailedCall(Call::Receive)), 1);
    }
}
