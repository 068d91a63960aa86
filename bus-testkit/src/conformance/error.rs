//! [`ConformanceError`]: why a scenario failed, in words a reader can act on.

use std::fmt::Display;
use std::time::Duration;

use bus_core::BusError;

/// Why a conformance scenario failed: what was expected, and what happened instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConformanceError {
    /// A check failed: the backend answered, but not as AWS would.
    #[error("{step}: expected {expected}; got {actual}")]
    Mismatch {
        /// What the scenario was doing.
        step: String,
        /// What AWS does.
        expected: String,
        /// What the backend did.
        actual: String,
    },
    /// A backend call that must succeed failed.
    #[error("{step}: the call failed: {source}")]
    Call {
        /// What the scenario was doing.
        step: String,
        /// The backend's error.
        #[source]
        source: Box<BusError>,
    },
    /// Something expected did not happen in time.
    #[error("{step}: waited {waited:?} for {expected}; got {actual}")]
    Timeout {
        /// What the scenario was doing.
        step: String,
        /// How long it waited (tokio time).
        waited: Duration,
        /// What it waited for.
        expected: String,
        /// What it saw until then.
        actual: String,
    },
    /// Several checks of one scenario failed (each line is one failure).
    #[error("{} checks failed:\n  - {}", .0.len(), .0.iter().map(|e| e.to_string().replace('\n', "\n    ")).collect::<Vec<_>>().join("\n  - "))]
    Several(Vec<ConformanceError>),
}

impl ConformanceError {
    /// A [`ConformanceError::Mismatch`].
    pub fn mismatch(step: impl Into<String>, expected: impl Display, actual: impl Display) -> Self {
        ConformanceError::Mismatch { step: step.into(), expected: expected.to_string(), actual: actual.to_string() }
    }

    /// A [`ConformanceError::Call`].
    pub fn call(step: impl Into<String>, source: BusError) -> Self {
        ConformanceError::Call { step: step.into(), source: Box::new(source) }
    }

    /// Folds several failures into one error; `Ok` when there are none.
    pub fn from_all(mut errors: Vec<ConformanceError>) -> Result<(), ConformanceError> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(ConformanceError::Several(errors)),
        }
    }
}

/// Fails with a [`ConformanceError::Mismatch`] unless `condition` holds.
pub(crate) fn ensure(
    condition: bool,
    step: impl Into<String>,
    expected: impl Display,
    actual: impl Display,
) -> Result<(), ConformanceError> {
    if condition {
        Ok(())
    } else {
        Err(ConformanceError::mismatch(step, expected, actual))
    }
}

/// Fails unless `expected == actual`, printing both with `{:?}`.
pub(crate) fn ensure_eq<T: PartialEq + std::fmt::Debug + ?Sized>(
    step: impl Into<String>,
    expected: &T,
    actual: &T,
) -> Result<(), ConformanceError> {
    if expected == actual {
        Ok(())
    } else {
        Err(ConformanceError::mismatch(step, format!("{expected:?}"), format!("{actual:?}")))
    }
}

/// Adds a step name to a backend error.
pub(crate) trait StepExt<T> {
    /// Maps the error to [`ConformanceError::Call`] with this step.
    fn step(self, step: impl Into<String>) -> Result<T, ConformanceError>;
}

impl<T> StepExt<T> for Result<T, BusError> {
    fn step(self, step: impl Into<String>) -> Result<T, ConformanceError> {
        self.map_err(|e| ConformanceError::call(step, e))
    }
}

/// Checks that `result` is an error accepted by `matches`; `expected` describes the accepted error.
pub(crate) fn expect_err<T: std::fmt::Debug>(
    step: impl Into<String>,
    result: Result<T, BusError>,
    expected: &str,
    matches: impl FnOnce(&BusError) -> bool,
) -> Result<BusError, ConformanceError> {
    match result {
        Ok(v) => Err(ConformanceError::mismatch(step, expected, format!("success ({v:?})"))),
        Err(e) if matches(&e) => Ok(e),
        Err(e) => Err(ConformanceError::mismatch(step, expected, format!("{e:?} ({e})"))),
    }
}
