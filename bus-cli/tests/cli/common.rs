//! Running the `bus` binary built for these tests and reading what it printed.

use std::process::{Command, Output, Stdio};

/// Runs `bus ARGS...` with no standard input and waits for it.
pub fn bus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bus")).args(args).stdin(Stdio::null()).output().expect("run bus")
}

/// The standard output, as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// The standard error, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}
