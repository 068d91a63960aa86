//! The bench crate's error type.

use std::path::PathBuf;

/// Why a harness could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// A data or policy file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The policies file is not in the expected format.
    #[error("{}: {reason}", path.display())]
    BadPolicies {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A policy that the benchmark relies on was rejected by our engine.
    #[error("policy {index} of {family} was rejected by the engine: {reason}")]
    PolicyRejected {
        /// The family (W1) or workload (W3).
        family: String,
        /// Index of the policy in its family.
        index: usize,
        /// The engine's reason text.
        reason: String,
    },
    /// The citylots data could not be generated.
    #[error("cannot generate the citylots data: {reason}")]
    Generate {
        /// What went wrong.
        reason: String,
    },
    /// The data file holds no event.
    #[error("{} holds no event line", path.display())]
    NoEvents {
        /// The file.
        path: PathBuf,
    },
}
