//! `bus archive ...`: query and replay an event archive (a `bus-archive` SQLite file).
//!
//! ```text
//! bus archive query --db archive.sqlite3 --type USER_COMMENT --since 1h --limit 20
//! bus archive query --db archive.sqlite3 --type USER_COMMENT --cursor <next cursor of the previous page>
//! bus archive replay --db archive.sqlite3 --type USER_CREATED --since 2026-01-01 --topic events --rate 50
//! bus archive replay --db archive.sqlite3 --policy '{"event-type": ["USER_COMMENT"]}' --topic events --dry-run
//! ```
//!
//! Times (`--since`, `--until`) are RFC 3339 in UTC (`2026-01-01T12:00:00Z`, `2026-01-01 12:00`, or a date),
//! `now`, or a duration before now (`90s`, `15m`, `2h`, `7d`, `1h 30m`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use bus_archive::{Archive, ArchivedEvent, FeedQuery, ReplayOptions, ReplayProgress, ReplaySelection};
use bus_core::filter::FilterScope;
use bus_core::{AttributeValue, Backend};

use super::backend::{connect, runtime, BackendKind};
use super::Console;
use crate::error::CliError;
use crate::input::file_or_text;

/// The `bus archive` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ArchiveCommand {
    /// Lists archived events in publish order (the activity feed), one page at a time.
    Query(QueryArgs),
    /// Re-publishes a selection of archived events to a topic.
    Replay(ReplayArgs),
}

/// Options of `bus archive query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The archive's SQLite file.
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// Only events of this type (all types when absent).
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// Only events with this correlation id.
    #[arg(long, value_name = "ID")]
    pub correlation_id: Option<String>,
    /// Only events published at or after this time (RFC 3339, `now`, or a duration before now: `2h`).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events published before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Events per page (1-10000).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Continue after the page that printed this cursor.
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
    /// Newest first (cursors are tied to the order).
    #[arg(long)]
    pub newest_first: bool,
    /// Print one JSON object `{"events": [...], "next_cursor": ...}` instead of lines.
    #[arg(long)]
    pub json: bool,
}

/// Options of `bus archive replay`.
#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// The archive's SQLite file.
    #[arg(long, value_name = "FILE")]
    pub db: PathBuf,
    /// The topic to publish to.
    #[arg(long)]
    pub topic: String,
    /// Only events of this type.
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,
    /// Only events with this correlation id.
    #[arg(long, value_name = "ID")]
    pub correlation_id: Option<String>,
    /// Only events published at or after this time.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events published before this time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only events an SNS filter policy matches: a file, `-` for standard input, or the JSON itself.
    #[arg(long, value_name = "FILE|JSON")]
    pub policy: Option<String>,
    /// The policy's scope.
    #[arg(long, value_name = "MessageAttributes|MessageBody", default_value = "MessageAttributes")]
    pub scope: String,
    /// At most this many messages per second.
    #[arg(long, value_name = "N")]
    pub rate: Option<f64>,
    /// List what would be published, publish nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where to publish: `aws` (from the environment) or `memory` (a fresh in-process bus with only the
    /// topic: a rehearsal).
    #[arg(long, value_enum, default_value = "aws")]
    pub backend: BackendKind,
}

/// Runs a `bus archive` subcommand.
pub fn run(command: &ArchiveCommand, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    match command {
        ArchiveCommand::Query(args) => query(args, console),
        ArchiveCommand::Replay(args) => replay(args, console),
    }
}

/// Opens an existing archive (a missing file is an error, not a new empty archive).
fn open(db: &Path) -> Result<Archive, CliError> {
    if !db.is_file() {
        return Err(CliError::NoSuchFile { what: "--db", path: db.to_owned() });
    }
    Ok(Archive::open(db)?)
}

/// Parses `--since`/`--until`: RFC 3339 (UTC), a date, `now`, or a duration before now.
pub fn parse_time(arg: &'static str, value: &str, now: SystemTime) -> Result<SystemTime, CliError> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    if let Ok(t) = humantime::parse_rfc3339_weak(v) {
        return Ok(t);
    }
    let is_date = v.len() == 10 && v.as_bytes()[4] == b'-' && v.as_bytes()[7] == b'-';
    if is_date {
        if let Ok(t) = humantime::parse_rfc3339_weak(&format!("{v}T00:00:00Z")) {
            return Ok(t);
        }
    }
    let relative = v.strip_suffix(" ago").unwrap_or(v);
    match humantime::parse_duration(relative) {
        Ok(d) => now.checked_sub(d).ok_or_else(|| CliError::InvalidArgument {
            arg,
            reason: format!("{value:?} reaches before the Unix epoch"),
        }),
        Err(_) => Err(CliError::InvalidArgument {
            arg,
            reason: format!(
                "{value:?} is not a time: use RFC 3339 in UTC (2026-01-01T12:00:00Z), a date (2026-01-01), `now`, or a duration before now (15m, 2h, 7d)"
            ),
        }),
    }
}

fn time_range(
    since: &Option<String>,
    until: &Option<String>,
) -> Result<(Option<SystemTime>, Option<SystemTime>), CliError> {
    let now = SystemTime::now();
    let since = since.as_deref().map(|s| parse_time("--since", s, now)).transpose()?;
    let until = until.as_deref().map(|u| parse_time("--until", u, now)).transpose()?;
    Ok((since, until))
}

fn attribute_json(value: &AttributeValue) -> serde_json::Value {
    match value {
        AttributeValue::Binary(_) => serde_json::json!({"Type": "Binary", "Value": value.wire_value()}),
        other => serde_json::json!({"Type": other.data_type().as_str(), "Value": other.wire_value()}),
    }
}

fn event_json(e: &ArchivedEvent) -> serde_json::Value {
    let attributes: serde_json::Map<String, serde_json::Value> =
        e.message.attributes.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect();
    serde_json::json!({
        "id": e.id,
        "type": e.event_type,
        "time": humantime::format_rfc3339_millis(e.time).to_string(),
        "correlation_id": e.correlation_id,
        "attributes": attributes,
        "body": e.message.body,
    })
}

fn query(args: &QueryArgs, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    let (since, until) = time_range(&args.since, &args.until)?;
    let archive = open(&args.db)?;
    let mut q = FeedQuery::new().limit(args.limit);
    q.event_type = args.event_type.clone();
    q.correlation_id = args.correlation_id.clone();
    q.since = since;
    q.until = until;
    q.after = args.cursor.clone();
    if args.newest_first {
        q = q.newest_first();
    }
    let page = runtime()?.block_on(archive.feed(&q))?;
    if args.json {
        let events: Vec<serde_json::Value> = page.events.iter().map(event_json).collect();
        let doc = serde_json::json!({"events": events, "next_cursor": page.next_cursor});
        writeln!(console.out, "{doc}")?;
        return Ok(ExitCode::SUCCESS);
    }
    for e in &page.events {
        writeln!(
            console.out,
            "{}  {}  {}  {}",
            humantime::format_rfc3339_millis(e.time),
            e.event_type.as_deref().unwrap_or("-"),
            e.id,
            e.message.body
        )?;
    }
    match &page.next_cursor {
        Some(c) => writeln!(console.err, "{} events; more: --cursor {c}", page.events.len())?,
        None => writeln!(console.err, "{} events; end of the feed", page.events.len())?,
    }
    Ok(ExitCode::SUCCESS)
}

fn replay(args: &ReplayArgs, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    let (since, until) = time_range(&args.since, &args.until)?;
    let mut selection = ReplaySelection::all();
    selection.event_type = args.event_type.clone();
    selection.correlation_id = args.correlation_id.clone();
    selection.since = since;
    selection.until = until;
    if let Some(p) = &args.policy {
        let scope = FilterScope::parse(&args.scope).map_err(CliError::InvalidScope)?;
        let (text, _) = file_or_text("--policy", p)?;
        selection = selection.sns_policy(&text, scope).map_err(|e| match e {
            bus_core::BusError::InvalidFilterPolicy(f) => CliError::InvalidPolicy(f),
            other => CliError::bus("parse the policy", other),
        })?;
    }
    let mut options = ReplayOptions::to_topic(args.topic.clone());
    if let Some(r) = args.rate {
        if !(r.is_finite() && r > 0.0) {
            return Err(CliError::InvalidArgument {
                arg: "--rate",
                reason: format!("must be a positive number, got {r}"),
            });
        }
        options = options.rate_limit(r);
    }
    if args.dry_run {
        options = options.dry_run();
    }
    let archive = open(&args.db)?;

    let report = runtime()?.block_on(async {
        // A dry run publishes nothing: an empty in-process bus stands in for the publisher.
        let publisher = if args.dry_run {
            bus_memory::MemoryBackend::new().publisher()
        } else {
            let connected = connect(args.backend).await?;
            let backend = connected.backend();
            if args.backend == BackendKind::Memory {
                let topology = bus_core::Topology::new().topic(args.topic.clone());
                backend.apply_topology(&topology).await.map_err(|e| CliError::bus("create the topic", e))?;
            }
            backend.publisher()
        };
        let bar = progress_bar();
        let on_progress = |p: &ReplayProgress| {
            bar.set_length(p.candidates);
            bar.set_position(p.scanned);
            bar.set_message(format!("{} matched, {} published", p.matched, p.published));
        };
        let result = archive.replay(&selection, &options, publisher.as_ref(), on_progress).await;
        bar.finish_and_clear();
        Ok::<_, CliError>(result?)
    })?;

    if report.dry_run {
        for e in &report.planned {
            writeln!(
                console.out,
                "{}  {}  {}",
                humantime::format_rfc3339_millis(e.time),
                e.event_type.as_deref().unwrap_or("-"),
                e.id
            )?;
        }
        writeln!(
            console.out,
            "dry run: {} of {} candidate events would be published to {}",
            report.matched, report.candidates, args.topic
        )?;
    } else {
        writeln!(
            console.out,
            "replayed {} of {} candidate events to {} ({} backend)",
            report.published,
            report.candidates,
            args.topic,
            args.backend.as_str()
        )?;
        if args.backend == BackendKind::Memory {
            writeln!(
                console.err,
                "note: the memory backend is this process's own: nothing is subscribed to its topic"
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on standard error (hidden when it is not a terminal).
fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} scanned, {msg} ({eta})")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_absolute_relative_and_bad() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
        assert_eq!(parse_time("--since", "now", now).unwrap(), now);
        assert_eq!(parse_time("--since", "2026-01-01T00:00:00Z", now).unwrap(), now);
        assert_eq!(parse_time("--since", "2026-01-01", now).unwrap(), now);
        assert_eq!(parse_time("--since", "2026-01-01 00:00:10", now).unwrap(), now + Duration::from_secs(10));
        assert_eq!(parse_time("--since", "2h", now).unwrap(), now - Duration::from_secs(7200));
        assert_eq!(parse_time("--since", "1h 30m ago", now).unwrap(), now - Duration::from_secs(5400));
        let err = parse_time("--until", "yesterday-ish", now).unwrap_err();
        assert!(err.to_string().starts_with("--until: \"yesterday-ish\" is not a time"), "{err}");
    }
}
