//! `bus queue tail NAME`: print a queue's messages without deleting them.
//!
//! ```text
//! bus queue tail email                    # what is visible now, then stop
//! bus queue tail email --follow --max 50  # keep long-polling until 50 messages or Ctrl-C
//! bus queue tail email --json | jq .event_type
//! ```
//!
//! Messages are received (SQS `ReceiveMessage`), held invisible while the tail runs so that each is shown
//! once, and made visible again (visibility 0) at the end: nothing is deleted. As with any look at an SQS
//! queue, each receive counts in `ApproximateReceiveCount`: on a queue with a redrive policy, a message
//! already received `maxReceiveCount` times moves to its dead-letter queue on the tail's receive.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use bus_core::{AttributeValue, Delivery, ReceiptHandle, ReceiveOptions, Subscription};

use super::backend::{connect, memory_hint, runtime, BackendKind};
use super::Console;
use crate::error::CliError;

/// The `bus queue` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum QueueCommand {
    /// Prints a queue's messages without deleting them (they are made visible again at the end).
    Tail(TailArgs),
}

/// Options of `bus queue tail`.
#[derive(Debug, clap::Args)]
pub struct TailArgs {
    /// The queue's name.
    pub name: String,
    /// Stop after this many messages.
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
    /// Keep long-polling for new messages until Ctrl-C (or `--max`), instead of stopping when the queue
    /// has nothing visible.
    #[arg(long)]
    pub follow: bool,
    /// Long-poll wait of each receive, 0-20 seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 1)]
    pub wait: u64,
    /// How long received messages stay invisible while the tail runs, in seconds (they are released at the
    /// end anyway).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub hold: u64,
    /// One JSON object per message instead of text.
    #[arg(long)]
    pub json: bool,
    /// The bus: `aws` (SNS/SQS from the environment) or `memory` (a fresh in-process bus: always empty).
    #[arg(long, value_enum, default_value = "aws")]
    pub backend: BackendKind,
}

/// Runs a `bus queue` subcommand.
pub fn run(command: &QueueCommand, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    match command {
        QueueCommand::Tail(args) => tail(args, console),
    }
}

fn check_wait(wait: u64) -> Result<Duration, CliError> {
    if wait > 20 {
        return Err(CliError::InvalidArgument { arg: "--wait", reason: format!("must be 0-20 seconds, got {wait}") });
    }
    Ok(Duration::from_secs(wait))
}

/// The subscription of `name`, with the memory backend's hint on "queue not found".
pub async fn open(
    kind: BackendKind,
    name: &str,
    action: &'static str,
) -> Result<std::sync::Arc<dyn Subscription>, CliError> {
    let connected = connect(kind).await?;
    let backend = connected.backend();
    backend.subscription(name).await.map_err(|e| match e {
        bus_core::BusError::QueueNotFound(q) => {
            CliError::bus(action, bus_core::BusError::QueueNotFound(format!("{q}{}", memory_hint(kind))))
        }
        other => CliError::bus(action, other),
    })
}

fn tail(args: &TailArgs, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    let wait = check_wait(args.wait)?;
    let hold = Duration::from_secs(args.hold.max(1));
    runtime()?.block_on(async {
        let sub = open(args.backend, &args.name, "open the queue").await?;
        // message id -> latest receipt handle, to show each message once and release it at the end.
        let mut held: HashMap<String, ReceiptHandle> = HashMap::new();
        let mut shown = 0usize;
        let result = loop {
            if args.max.is_some_and(|m| shown >= m) {
                break Ok(());
            }
            let want = args.max.map_or(10, |m| (m - shown).min(10));
            let options = ReceiveOptions::new(want, wait).with_visibility_timeout(hold);
            let received = tokio::select! {
                r = sub.receive(options) => r,
                _ = tokio::signal::ctrl_c() => break Ok(()),
            };
            let deliveries = match received {
                Ok(d) => d,
                Err(e) => break Err(CliError::bus("receive", e)),
            };
            if deliveries.is_empty() && !args.follow {
                break Ok(());
            }
            for d in deliveries {
                let new = held.insert(d.message_id.clone(), d.receipt_handle.clone()).is_none();
                if new && args.max.is_none_or(|m| shown < m) {
                    shown += 1;
                    print(console, &d, args.json)?;
                }
            }
        };
        // Release everything held, whatever happened above.
        let handles: Vec<ReceiptHandle> = held.into_values().collect();
        for chunk in handles.chunks(10) {
            let entries = chunk.iter().enumerate().map(|(i, h)| (i.to_string(), h.clone(), Duration::ZERO)).collect();
            if let Err(e) = sub.change_visibility_batch(entries).await {
                writeln!(console.err, "warning: could not release {} messages: {e}", chunk.len())?;
            }
        }
        result?;
        writeln!(console.err, "{shown} messages from {} (left in the queue)", args.name)?;
        Ok(ExitCode::SUCCESS)
    })
}

fn attribute_text(v: &AttributeValue) -> String {
    format!("{}:{}", v.data_type().as_str(), v.wire_value())
}

fn print(console: &mut Console<'_>, d: &Delivery, json: bool) -> Result<(), CliError> {
    let sent = humantime::format_rfc3339_millis(d.sent_at).to_string();
    if json {
        let attributes: serde_json::Map<String, serde_json::Value> = d
            .message
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::json!({"Type": v.data_type().as_str(), "Value": v.wire_value()})))
            .collect();
        let doc = serde_json::json!({
            "message_id": d.message_id,
            "sns_message_id": d.notification.as_ref().map(|n| n.message_id.clone()),
            "receive_count": d.receive_count,
            "sent_at": sent,
            "event_type": d.event_type(),
            "attributes": attributes,
            "body": d.message.body,
        });
        writeln!(console.out, "{doc}")?;
        return Ok(());
    }
    writeln!(console.out, "{sent}  {}  {}  receive {}", d.event_type().unwrap_or("-"), d.message_id, d.receive_count)?;
    if !d.message.attributes.is_empty() {
        let attrs: Vec<String> =
            d.message.attributes.iter().map(|(k, v)| format!("{k}={}", attribute_text(v))).collect();
        writeln!(console.out, "    attributes: {}", attrs.join(", "))?;
    }
    writeln!(console.out, "    {}", d.message.body)?;
    Ok(())
}
