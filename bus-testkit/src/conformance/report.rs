//! [`ConformanceReport`]: per scenario, passed, failed (with why) or not applicable (with the
//! capabilities the backend lacks).

use std::fmt;
use std::time::Duration;

use super::capabilities::Capability;
use super::error::ConformanceError;

/// What happened to one scenario.
#[derive(Debug)]
pub enum Outcome {
    /// Every check held.
    Passed,
    /// A check failed; the error says what was expected and what happened.
    Failed(ConformanceError),
    /// Not run: the backend lacks these capabilities.
    NotApplicable {
        /// The missing capabilities.
        missing: Vec<Capability>,
    },
}

impl Outcome {
    /// Whether the scenario passed.
    pub fn is_passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }

    /// Whether the scenario failed.
    pub fn is_failed(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }

    /// Whether the scenario was not applicable.
    pub fn is_not_applicable(&self) -> bool {
        matches!(self, Outcome::NotApplicable { .. })
    }
}

/// The outcome of one scenario in a run.
#[derive(Debug)]
pub struct ScenarioResult {
    /// The scenario's name (its function's name).
    pub name: &'static str,
    /// Its family (the module: `publish`, `filter`, ...).
    pub family: &'static str,
    /// What happened.
    pub outcome: Outcome,
    /// How long it took, in tokio time (virtual time on a paused clock).
    pub elapsed: Duration,
}

/// The report of a whole run: one [`ScenarioResult`] per scenario, in the suite's order.
#[derive(Debug)]
pub struct ConformanceReport {
    /// The backend's name ([`bus_core::Backend::name`]).
    pub backend: String,
    /// Every scenario's result.
    pub results: Vec<ScenarioResult>,
}

impl ConformanceReport {
    /// The scenarios that passed.
    pub fn passed(&self) -> impl Iterator<Item = &ScenarioResult> {
        self.results.iter().filter(|r| r.outcome.is_passed())
    }

    /// The scenarios that failed.
    pub fn failed(&self) -> impl Iterator<Item = &ScenarioResult> {
        self.results.iter().filter(|r| r.outcome.is_failed())
    }

    /// The scenarios that were not applicable.
    pub fn not_applicable(&self) -> impl Iterator<Item = &ScenarioResult> {
        self.results.iter().filter(|r| r.outcome.is_not_applicable())
    }

    /// Whether nothing failed and at least one scenario passed (skips alone never make a run pass).
    pub fn is_success(&self) -> bool {
        self.failed().next().is_none() && self.passed().next().is_some()
    }

    /// Panics with a readable list of the failures (and of what was not applicable) unless
    /// [`ConformanceReport::is_success`].
    #[track_caller]
    pub fn assert_all_passed(&self) {
        if !self.is_success() {
            panic!("{}", self.failure_summary());
        }
    }

    /// The text [`ConformanceReport::assert_all_passed`] panics with.
    pub fn failure_summary(&self) -> String {
        let failed: Vec<&ScenarioResult> = self.failed().collect();
        let mut out = if failed.is_empty() {
            format!("conformance of backend {:?}: no scenario passed (nothing was tested)\n", self.backend)
        } else {
            format!(
                "conformance of backend {:?}: {} of {} scenarios failed\n",
                self.backend,
                failed.len(),
                self.results.len()
            )
        };
        for r in failed {
            if let Outcome::Failed(e) = &r.outcome {
                out.push_str(&format!(
                    "\nFAILED {}::{}\n    {}\n",
                    r.family,
                    r.name,
                    e.to_string().replace('\n', "\n    ")
                ));
            }
        }
        out.push('\n');
        out.push_str(&self.counts_line());
        out
    }

    fn counts_line(&self) -> String {
        let na: Vec<String> = self
            .not_applicable()
            .map(|r| match &r.outcome {
                Outcome::NotApplicable { missing } => {
                    let m: Vec<&str> = missing.iter().map(|c| c.name()).collect();
                    format!("{} ({})", r.name, m.join(", "))
                }
                _ => unreachable!("filtered on not applicable"),
            })
            .collect();
        let mut line =
            format!("{} passed, {} failed, {} not applicable", self.passed().count(), self.failed().count(), na.len());
        if !na.is_empty() {
            line.push_str(&format!(": {}", na.join("; ")));
        }
        line
    }
}

impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "conformance of backend {:?}", self.backend)?;
        for r in &self.results {
            match &r.outcome {
                Outcome::Passed => writeln!(f, "  pass  {}::{} ({:?})", r.family, r.name, r.elapsed)?,
                Outcome::Failed(e) => writeln!(
                    f,
                    "  FAIL  {}::{} ({:?})\n        {}",
                    r.family,
                    r.name,
                    r.elapsed,
                    e.to_string().replace('\n', "\n        ")
                )?,
                Outcome::NotApplicable { missing } => {
                    let m: Vec<&str> = missing.iter().map(|c| c.name()).collect();
                    writeln!(f, "  n/a   {}::{} (backend lacks {})", r.family, r.name, m.join(", "))?
                }
            }
        }
        write!(f, "{}", self.counts_line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &'static str, outcome: Outcome) -> ScenarioResult {
        ScenarioResult { name, family: "filter", outcome, elapsed: Duration::from_millis(5) }
    }

    #[test]
    fn assert_all_passed_lists_failures_readably() {
        let report = ConformanceReport {
            backend: "test".into(),
            results: vec![
                result("filter_exact", Outcome::Passed),
                result(
                    "filter_prefix",
                    Outcome::Failed(ConformanceError::mismatch(
                        "MessageAttributes policy {\"region\":[{\"prefix\":\"eu-\"}]}",
                        "exactly {\"has-prefix\"}",
                        "unexpected [\"other-prefix\"]",
                    )),
                ),
                result("filter_cidr", Outcome::NotApplicable { missing: vec![Capability::Cidr] }),
            ],
        };
        assert!(!report.is_success());
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| report.assert_all_passed()))
            .expect_err("a failure must panic");
        let text = panic.downcast_ref::<String>().expect("a formatted panic message");
        assert!(text.contains("1 of 3 scenarios failed"), "{text}");
        assert!(text.contains("FAILED filter::filter_prefix"), "{text}");
        assert!(text.contains("expected exactly {\"has-prefix\"}; got unexpected [\"other-prefix\"]"), "{text}");
        assert!(text.contains("1 passed, 1 failed, 1 not applicable: filter_cidr (cidr)"), "{text}");
        let shown = report.to_string();
        assert!(shown.contains("  pass  filter::filter_exact"), "{shown}");
        assert!(shown.contains("  n/a   filter::filter_cidr (backend lacks cidr)"), "{shown}");
    }

    #[test]
    fn skips_alone_never_pass() {
        let report = ConformanceReport {
            backend: "test".into(),
            results: vec![result("filter_cidr", Outcome::NotApplicable { missing: vec![Capability::Cidr] })],
        };
        assert!(!report.is_success());
        assert!(report.failure_summary().contains("no scenario passed"));
        let ok = ConformanceReport {
            backend: "test".into(),
            results: vec![
                result("filter_exact", Outcome::Passed),
                result("filter_cidr", Outcome::NotApplicable { missing: vec![Capability::Cidr] }),
            ],
        };
        assert!(ok.is_success());
        ok.assert_all_passed();
    }

    #[test]
    fn several_failures_are_listed_one_per_line() {
        let e = ConformanceError::from_all(vec![
            ConformanceError::mismatch("a", "1", "2"),
            ConformanceError::mismatch("b", "3", "4"),
        ])
        .unwrap_err();
        assert_eq!(e.to_string(), "2 checks failed:\n  - a: expected 1; got 2\n  - b: expected 3; got 4");
        assert!(ConformanceError::from_all(Vec::new()).is_ok());
    }
}
