//! The `bus` command: filter-policy tools, the local server, and bus administration (one module per group
//! under `commands/`).
//!
//! ```text
//! bus filter test --policy '{"event-type": ["USER_CREATED"]}' --attributes '{"event-type": "USER_CREATED"}'
//! bus filter conformance vectors.jsonl invalid.jsonl
//! bus archive query --db archive.sqlite3 --type USER_COMMENT --since 1h
//! bus archive replay --db archive.sqlite3 --type USER_CREATED --topic events --rate 50 --dry-run
//! bus topology plan seed.toml            # then: bus topology apply seed.toml
//! bus queue tail email
//! bus dlq redrive billing-dlq
//! ```
//!
//! `--backend aws` (the default of `topology`, `queue`, `dlq` and `archive replay`) reads SNS/SQS settings
//! from the environment (`AWS_REGION`, credentials, `AWS_ENDPOINT_URL`); it needs the cargo feature `aws`,
//! on by default (`--no-default-features` builds without the AWS SDK). `--backend memory` is a fresh
//! in-process bus, for validating and rehearsing.

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
    /// The event archive: query the activity feed, replay events to a topic.
    #[command(subcommand)]
    Archive(commands::archive::ArchiveCommand),
    /// Declarative topology (TOML or JSON): show the diff, apply it.
    #[command(subcommand)]
    Topology(commands::topology::TopologyCommand),
    /// Queues: look at messages without deleting them.
    #[command(subcommand)]
    Queue(commands::queue::QueueCommand),
    /// Dead-letter queues: move messages back to their source queue.
    #[command(subcommand)]
    Dlq(commands::dlq::DlqCommand),
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
        Command::Archive(c) => commands::archive::run(c, &mut console),
        Command::Topology(c) => commands::topology::run(c, &mut console),
        Command::Queue(c) => commands::queue::run(c, &mut console),
        Command::Dlq(c) => commands::dlq::run(c, &mut console),
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
