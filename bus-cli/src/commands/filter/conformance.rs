//! `bus filter conformance`: runs conformance vector files through the filter engine, with the shared
//! runner [`bus_core::filter::conformance`] (its module docs describe the vector format).

use std::path::PathBuf;
use std::process::ExitCode;

use bus_core::filter::conformance::{run_vector, Vector};

use crate::commands::Console;
use crate::error::{CliError, EXIT_CHECK_FAILED};

/// Arguments of `bus filter conformance`.
#[derive(Debug, clap::Args)]
pub struct ConformanceArgs {
    /// Vector files, one JSON object per line: valid vectors carry `expect`, invalid ones `error_contains`.
    #[arg(value_name = "FILE.jsonl", required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs every vector of every file: one JSON line per vector on standard output, a diagnostic per failure on
/// standard error, then the closing line `N passed, M failed`. Exit status 1 if any vector failed.
///
/// Every file is read before anything is printed, so an unreadable file is an input error (exit 2) with no
/// partial output. A line that is not a well-formed vector counts as failed; blank lines are skipped.
pub fn run(args: &ConformanceArgs, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile { path: path.clone(), source })?;
        files.push((path, text));
    }
    let (mut passed, mut failed) = (0usize, 0usize);
    for (path, text) in &files {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("{}:{}", path.display(), n + 1);
            let vector = match Vector::parse(line) {
                Ok(v) => v,
                Err(e) => {
                    writeln!(console.err, "FAIL {at}: invalid vector: {e}")?;
                    failed += 1;
                    continue;
                }
            };
            let outcome = run_vector(&vector);
            writeln!(console.out, "{}", outcome.to_json_line())?;
            match outcome.mismatch() {
                None => passed += 1,
                Some(why) => {
                    failed += 1;
                    writeln!(console.err, "FAIL {at}: {why}")?;
                }
            }
        }
    }
    writeln!(console.out, "{passed} passed, {failed} failed")?;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_CHECK_FAILED) })
}
