//! `bus filter conformance`: runs conformance vector files through the filter engine.

use std::path::PathBuf;
use std::process::ExitCode;

use super::vector::{Expectation, Outcome, Vector};
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
/// partial output. A line that is not a well-formed vector counts as failed.
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
            let vector = match Vector::parse(line) {
                Ok(v) => v,
                Err(e) => {
                    writeln!(console.err, "FAIL {}:{}: invalid vector: {e}", path.display(), n + 1)?;
                    failed += 1;
                    continue;
                }
            };
            let outcome = vector.evaluate();
            writeln!(console.out, "{}", outcome.to_json_line(&vector.id))?;
            if outcome.satisfies(&vector.expect) {
                passed += 1;
            } else {
                failed += 1;
                writeln!(
                    console.err,
                    "FAIL {} ({}:{}): {}",
                    vector.id,
                    path.display(),
                    n + 1,
                    explain(&vector.expect, &outcome)
                )?;
            }
        }
    }
    writeln!(console.out, "{passed} passed, {failed} failed")?;
    Ok(if failed == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_CHECK_FAILED) })
}

fn explain(expected: &Expectation, got: &Outcome) -> String {
    let want = match expected {
        Expectation::Match(true) => "a match".to_owned(),
        Expectation::Match(false) => "no match".to_owned(),
        Expectation::ErrorContains(s) => format!("an error containing {s:?}"),
    };
    let got = match got {
        Outcome::Matched(true) => "a match".to_owned(),
        Outcome::Matched(false) => "no match".to_owned(),
        Outcome::Error(e) => format!("the error {e:?}"),
    };
    format!("expected {want}, got {got}")
}
