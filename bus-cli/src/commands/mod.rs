//! One module per command group (`bus filter ...`; later `archive`, `topology`, `queue`, `dlq`, `serve`).
//!
//! Each group exposes a clap `Subcommand` enum and a `run` function that writes to a [`Console`] and returns
//! the exit status, or a [`CliError`](crate::error::CliError) that `main` reports.

pub mod archive;
pub mod backend;
pub mod dlq;
pub mod filter;
pub mod queue;
pub mod serve;
pub mod topology;

use std::io::Write;

/// Where a command writes: its normal output and its diagnostics.
pub struct Console<'a> {
    /// Normal output (standard output).
    pub out: &'a mut dyn Write,
    /// Diagnostics and notes (standard error).
    pub err: &'a mut dyn Write,
}
