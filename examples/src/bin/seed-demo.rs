//! The seed demo: the whole fan-out of the seed design, end to end, with a short report.
//!
//! Run with: `cargo run -p bus-examples --bin seed-demo` (in memory), or on SNS/SQS with
//! `cargo run -p bus-examples --features aws --bin seed-demo` (region, credentials and `AWS_ENDPOINT_URL`
//! from the environment; `scripts/moto.sh cargo run -p bus-examples --features aws --bin seed-demo` runs it
//! against a local moto server). Logs: `RUST_LOG=info` (quiet by default).

// A binary: the report goes to standard output, errors to standard error.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bus_core::Backend;
use bus_examples::{run_demo, DemoError, DemoOptions, Names};
use clap::Parser;

/// Runs the seed demo and prints what went where.
#[derive(Debug, Parser)]
#[command(name = "seed-demo", about)]
struct Args {
    /// Keep the event archive in this SQLite file (then try `bus archive query --db FILE --type USER_COMMENT`).
    #[arg(long, value_name = "FILE")]
    archive: Option<PathBuf>,
    /// Prefix of every topic and queue name (to share an AWS account).
    #[arg(long, default_value = "")]
    prefix: String,
    /// Seconds to wait for every event to be handled.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
}

#[cfg(not(feature = "aws"))]
async fn backend() -> Result<Arc<dyn Backend>, DemoError> {
    Ok(Arc::new(bus_memory::MemoryBackend::new()))
}

#[cfg(feature = "aws")]
async fn backend() -> Result<Arc<dyn Backend>, DemoError> {
    Ok(Arc::new(bus_aws::AwsBackendBuilder::from_env().build().await?))
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .init();
    let options = DemoOptions {
        names: Names::with_prefix(&args.prefix),
        archive_path: args.archive,
        settle_timeout: Duration::from_secs(args.timeout),
        ..DemoOptions::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async { run_demo(backend().await?, &options).await });
    match result {
        Ok(report) => {
            println!("{report}");
            if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
