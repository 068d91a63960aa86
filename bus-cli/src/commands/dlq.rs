//! `bus dlq redrive NAME [--to QUEUE]`: move the messages of a dead-letter queue back to a queue.
//!
//! ```text
//! bus dlq redrive billing-dlq                 # back to the queue whose redrive policy names billing-dlq
//! bus dlq redrive billing-dlq --to billing --max 100
//! ```
//!
//! Each message is received from the dead-letter queue, sent to the target queue as it was stored (the
//! SNS envelope as is, so consumers unwrap it as before; raw deliveries with their attributes; FIFO
//! messages with their group, deduplicated by their message id), and only then deleted from the
//! dead-letter queue: a failure leaves it where it was, never lost (at worst sent twice). The target is
//! `--to`, or else the one queue whose redrive policy names NAME (SQS `ListDeadLetterSourceQueues`).

use std::process::ExitCode;
use std::time::Duration;

use bus_core::{Delivery, Message, ReceiveOptions};

use super::backend::{connect, memory_hint, runtime, BackendKind};
use super::Console;
use crate::error::CliError;

/// The `bus dlq` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum DlqCommand {
    /// Moves messages from a dead-letter queue back to its source queue (receive, send, delete).
    Redrive(RedriveArgs),
}

/// Options of `bus dlq redrive`.
#[derive(Debug, clap::Args)]
pub struct RedriveArgs {
    /// The dead-letter queue.
    pub name: String,
    /// The queue to move the messages to (default: the queue whose redrive policy names the DLQ).
    #[arg(long, value_name = "QUEUE")]
    pub to: Option<String>,
    /// Move at most this many messages.
    #[arg(long, value_name = "N")]
    pub max: Option<u64>,
    /// The bus: `aws` (SNS/SQS from the environment) or `memory` (a fresh in-process bus: always empty).
    #[arg(long, value_enum, default_value = "aws")]
    pub backend: BackendKind,
}

/// Runs a `bus dlq` subcommand.
pub fn run(command: &DlqCommand, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    match command {
        DlqCommand::Redrive(args) => redrive(args, console),
    }
}

/// The message to send back: the stored body as is (an SNS envelope stays an envelope), with the SQS
/// attributes only when there is no envelope (raw delivery), and the FIFO group.
fn resend(d: &Delivery, fifo: bool) -> Message {
    let mut m = Message::new(d.raw_body.clone());
    if d.notification.is_none() {
        m.attributes = d.message.attributes.clone();
    }
    if fifo {
        m.group_id = d.group_id.clone().or_else(|| d.message.group_id.clone());
        m.deduplication_id = Some(d.message_id.clone());
    }
    m
}

fn redrive(args: &RedriveArgs, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    runtime()?.block_on(async {
        let connected = connect(args.backend).await?;
        let backend = connected.backend();
        let not_found = |e| match e {
            bus_core::BusError::QueueNotFound(q) => {
                bus_core::BusError::QueueNotFound(format!("{q}{}", memory_hint(args.backend)))
            }
            other => other,
        };
        let dlq = backend.subscription(&args.name).await.map_err(|e| CliError::bus("open the queue", not_found(e)))?;
        let to = match &args.to {
            Some(t) => t.clone(),
            None => {
                let sources = connected.dead_letter_sources(&args.name).await?;
                match <[String; 1]>::try_from(sources) {
                    Ok([one]) => one,
                    Err(sources) if sources.is_empty() => {
                        return Err(CliError::InvalidArgument {
                            arg: "--to",
                            reason: format!(
                                "no queue names {} as its dead-letter queue: say where to move the messages",
                                args.name
                            ),
                        })
                    }
                    Err(sources) => {
                        return Err(CliError::InvalidArgument {
                            arg: "--to",
                            reason: format!(
                                "{} is the dead-letter queue of {}: choose one",
                                args.name,
                                sources.join(", ")
                            ),
                        })
                    }
                }
            }
        };
        if to == args.name {
            return Err(CliError::InvalidArgument {
                arg: "--to",
                reason: "the target is the dead-letter queue itself".into(),
            });
        }
        // Fails early, before anything moves, if the target does not exist.
        backend.queue_stats(&to).await.map_err(|e| CliError::bus("find the target queue", not_found(e)))?;
        let fifo = to.ends_with(".fifo");
        let total = backend.queue_stats(&args.name).await.map_err(|e| CliError::bus("read the queue", e))?.visible;
        let limit = args.max.unwrap_or(u64::MAX);
        let bar = indicatif::ProgressBar::new(total.min(limit));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} moved ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );

        let mut moved = 0u64;
        let mut empty_polls = 0;
        // Short polls may miss messages on SQS; long polls of 1 s do not, and stop the loop when empty.
        while moved < limit && empty_polls < 2 {
            let want = usize::try_from((limit - moved).min(10)).unwrap_or(10);
            let options =
                ReceiveOptions::new(want, Duration::from_secs(1)).with_visibility_timeout(Duration::from_secs(60));
            let got = dlq.receive(options).await.map_err(|e| CliError::bus("receive", e))?;
            if got.is_empty() {
                empty_polls += 1;
                continue;
            }
            empty_polls = 0;
            for d in got {
                backend.send(&to, resend(&d, fifo), None).await.map_err(|e| CliError::bus("send", e))?;
                dlq.ack(&d.receipt_handle).await.map_err(|e| CliError::bus("delete from the dead-letter queue", e))?;
                moved += 1;
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
        writeln!(console.out, "moved {moved} messages from {} to {to}", args.name)?;
        Ok(ExitCode::SUCCESS)
    })
}
