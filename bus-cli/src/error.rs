//! The CLI's error type: every way a command can fail, each with a clear message and an exit status.

use std::path::PathBuf;
use std::process::ExitCode;

use bus_core::filter::FilterError;
use bus_core::BusError;

/// Exit status for invalid input (the same status clap uses for usage errors).
pub const EXIT_INVALID_INPUT: u8 = 2;
/// Exit status when the command ran but its check failed (for example a conformance vector failed).
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
}

impl CliError {
    /// The process exit status for this error: invalid input is 2.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Output(_) => ExitCode::from(EXIT_CHECK_FAILED),
            _ => ExitCode::from(EXIT_INVALID_INPUT),
        }
    }
}
