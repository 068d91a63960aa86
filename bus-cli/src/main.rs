//! The `bus` command: filter-policy tools today; archive, topology, queue, DLQ and server commands as the
//! issues add them (one module per group under `commands/`).
//!
//! ```text
//! bus filter test --policy '{"event-type": ["USER_CREATED"]}' --attributes '{"event-type": "USER_CREATED"}'
//! bus filter conformance vectors.jsonl invalid.jsonl
//! ```

mod commands;
mod error;
mod input;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::Console;
use error::CliError;

/// Event bus tools (AWS SNS -> SQS style).
#[derive(Debug, Parser)]
#[command(name = "bus", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// SNS filter policies: test a message against a policy, run conformance vectors.
    #[command(subcommand)]
    Filter(commands::filter::FilterCommand),
    /// Runs an SNS/SQS-compatible local server (AWS wire protocols) on the in-memory engine.
    Serve(commands::serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let (mut out, mut err) = (stdout.lock(), stderr.lock());
    let mut console = Console { out: &mut out, err: &mut err };
    let result = match &cli.command {
        Command::Filter(c) => commands::filter::run(c, &mut console),
        Command::Serve(a) => commands::serve::run(a, &mut console),
    };
    let code = match result {
        Ok(code) => code,
        // The reader went away (`bus ... | head`): nothing more to say.
        Err(CliError::Output(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(console.err, "error: {e}");
            e.exit_code()
        }
    };
    let _ = console.out.flush();
    code
}
