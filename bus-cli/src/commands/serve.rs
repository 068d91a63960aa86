//! `bus serve`: runs the SNS/SQS-compatible local server (`bus-server`) until Ctrl-C.
//!
//! ```text
//! bus serve                                   # http://127.0.0.1:4566, us-east-1, account 000000000000
//! bus serve --port 0 --state bus-state.json   # a free port; resources kept across restarts
//! ```
//!
//! The first line on standard output is `bus serve listening on http://HOST:PORT`; logs go to standard
//! error (`RUST_LOG` filters them, default `info`).

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use bus_server::{BusServer, ServerConfig};

use super::Console;
use crate::error::CliError;

/// Options of `bus serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to bind (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// The port (0: a free one, printed at start).
    #[arg(long, default_value_t = bus_server::DEFAULT_PORT)]
    pub port: u16,
    /// The region in ARNs.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The account id in ARNs and queue URLs.
    #[arg(long, default_value = "000000000000")]
    pub account_id: String,
    /// Persist queues, topics and subscriptions to this file and reload them at start.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

/// Runs the server until Ctrl-C (or SIGTERM); returns 1 if it cannot start or fails.
pub fn run(args: &ServeArgs, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let mut config = ServerConfig::default()
        .with_host(args.host)
        .with_port(args.port)
        .with_region(args.region.clone())
        .with_account_id(args.account_id.clone());
    if let Some(path) = &args.state {
        config = config.with_state_file(path.clone());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = runtime.block_on(async {
        let server = BusServer::bind(config).await?;
        writeln!(console.out, "bus serve listening on {}", server.endpoint())
            .map_err(bus_server::ServerError::Serve)?;
        console.out.flush().map_err(bus_server::ServerError::Serve)?;
        server.run_until(stop_signal()).await
    });
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            writeln!(console.err, "error: {e}")?;
            Ok(ExitCode::from(crate::error::EXIT_CHECK_FAILED))
        }
    }
}

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
