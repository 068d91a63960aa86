//! `bus filter ...`: filter-policy tools.

mod attributes;
pub mod conformance;
pub mod test;

use std::process::ExitCode;

use super::Console;
use crate::error::CliError;

/// The `bus filter` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum FilterCommand {
    /// Checks whether a message matches a filter policy, or shows why the policy is invalid.
    Test(test::TestArgs),
    /// Runs filter conformance vector files (JSONL) and reports every vector's outcome.
    Conformance(conformance::ConformanceArgs),
}

/// Runs a `bus filter` subcommand.
pub fn run(command: &FilterCommand, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    match command {
        FilterCommand::Test(args) => test::run(args, console),
        FilterCommand::Conformance(args) => conformance::run(args, console),
    }
}
