//! The CLI's error type: every way a command can fail, each with a clear message and an exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use bus_core::filter::FilterError;
use bus_core::BusError;

/// Exit status for invalid input (the same status clap uses for usage errors).
pub const EXIT_INVALID_INPUT: u8 = 2;
/// Exit status when the command ran but its check failed (for example a conformance vector failed), or the
/// bus or the archive failed.
pub const EXIT_CHECK_FAILED: u8 = 1;

/// Why a `bus` command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A file named on the command line could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An argument looks like a file name but no such file exists.
    #[error("{what}: no such file {}", path.display())]
    NoSuchFile {
        /// Which argument (`--policy`, `--body`).
        what: &'static str,
        /// The path given.
        path: PathBuf,
    },
    /// Standard input could not be read.
    #[error("cannot read standard input: {0}")]
    ReadStdin(#[source] std::io::Error),
    /// More than one argument asked to read standard input (`-`).
    #[error("only one of --policy, --attributes and --body can be `-` (standard input)")]
    StdinTwice,
    /// The filter policy is invalid; the message is AWS's reason text, then AWS's whole answer.
    #[error("invalid filter policy: {}\n  SNS would answer: {}", .0.reason, .0.aws_message())]
    InvalidPolicy(#[source] FilterError),
    /// The `--scope` value is not `MessageAttributes` or `MessageBody`.
    #[error("{0}")]
    InvalidScope(#[source] FilterError),
    /// The `--attributes` argument is not valid JSON.
    #[error("--attributes is not valid JSON: {0}")]
    AttributesJson(#[source] serde_json::Error),
    /// The `--attributes` JSON has the wrong shape.
    #[error("--attributes: {0}")]
    AttributesShape(String),
    /// The message breaks SNS's rules (attribute names, types, count or size).
    #[error("invalid message: {0}")]
    InvalidMessage(#[source] BusError),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// A call to the bus failed (connect, receive, send, apply, ...).
    #[error("cannot {action}: {source}")]
    Bus {
        /// What was being done.
        action: &'static str,
        /// The backend's error.
        source: BusError,
    },
    /// The event archive failed (or was given a bad cursor, limit or time range).
    #[error("archive: {0}")]
    Archive(#[from] bus_archive::ArchiveError),
    /// A topology file is not valid TOML or JSON of a topology.
    #[error("cannot read the topology in {} as {format}: {message}", path.display())]
    TopologyFile {
        /// The file.
        path: PathBuf,
        /// `TOML` or `JSON`.
        format: &'static str,
        /// The parser's message (with the line and column).
        message: String,
    },
    /// A subscription's filter policy is invalid; the message is AWS's reason text, then AWS's whole answer.
    #[error("invalid filter policy of subscription {subscription}: {}\n  SNS would answer: {}", .source.reason, .source.aws_message())]
    InvalidSubscriptionPolicy {
        /// `topic -> queue`.
        subscription: String,
        /// The engine's error, with AWS's reason text.
        source: FilterError,
    },
    /// The topology breaks a rule of SNS/SQS (names, ranges, references).
    #[error("invalid topology: {0}")]
    InvalidTopology(#[source] BusError),
    /// An argument has a bad value (a time, a rate, a missing `--to`, ...).
    #[error("{arg}: {reason}")]
    InvalidArgument {
        /// The argument (`--since`).
        arg: &'static str,
        /// Why it is invalid.
        reason: String,
    },
    /// `--backend` names a backend this `bus` was built without.
    #[error("the {0} backend is not built into this `bus` (build bus-cli with the cargo feature `{0}`)")]
    #[cfg_attr(feature = "aws", allow(dead_code))]
    BackendUnavailable(&'static str),
    /// The plan has a difference that cannot be applied in place.
    #[error("apply refused, nothing was changed: {0}")]
    PlanConflict(String),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

impl CliError {
    /// The process exit status for this error: invalid input is 2.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Archive(
                bus_archive::ArchiveError::InvalidParameter { .. } | bus_archive::ArchiveError::InvalidCursor { .. },
            ) => ExitCode::from(EXIT_INVALID_INPUT),
            CliError::Output(_)
            | CliError::Bus { .. }
            | CliError::Archive(_)
            | CliError::PlanConflict(_)
            | CliError::Runtime(_) => ExitCode::from(EXIT_CHECK_FAILED),
            _ => ExitCode::from(EXIT_INVALID_INPUT),
        }
    }

    /// A failed call to the bus while doing `action`.
    pub fn bus(action: &'static str, source: BusError) -> Self {
        CliError::Bus { action, source }
    }
}
