//! `bus topology plan|apply FILE`: a declarative topology (TOML or JSON), shown as a diff, then applied.
//!
//! ```text
//! bus topology plan seed.toml                      # against SNS/SQS from the environment (the default)
//! bus topology apply seed.toml
//! bus topology plan seed.toml --backend memory     # validate, and the whole diff against an empty bus
//! ```
//!
//! The file holds a `bus_core::Topology`: `[[topics]]`, `[[queues]]` (durations in seconds) and
//! `[[subscriptions]]`. A `filter_policy` is a TOML table (or a JSON object), or a string holding the
//! policy's JSON:
//!
//! ```toml
//! [[topics]]
//! name = "events"
//!
//! [[queues]]
//! name = "email-dlq"
//!
//! [[queues]]
//! name = "email"
//! visibility_timeout = 60
//! redrive = { dead_letter_queue = "email-dlq", max_receive_count = 5 }
//!
//! [[subscriptions]]
//! topic = "events"
//! queue = "email"
//! filter_policy = { "event-type" = ["USER_CREATED", "USER_COMMENT"] }
//! ```
//!
//! The diff lists every declared resource: `+` to create (with its attributes), `~` to update (the
//! attributes that differ, `actual -> desired`), `=` in sync, `!` in conflict (cannot be changed in
//! place: apply refuses and changes nothing). Resources that exist but are not declared are left alone.
//! On `--backend memory` the bus is a fresh one in this process: `plan` shows the whole topology as to
//! be created, `apply` validates and applies it there (a rehearsal; nothing outlives the command).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bus_core::backend::{QueueSpec, SubscriptionSpec, TopicSpec, Topology};
use bus_core::filter::SnsFilterPolicy;
use bus_core::BusError;
use bus_memory::MemoryBackend;

use super::backend::{connect, runtime, BackendKind, Connected};
use super::Console;
use crate::error::CliError;

/// The `bus topology` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TopologyCommand {
    /// Shows what applying the topology would change, changing nothing.
    Plan(TopologyArgs),
    /// Shows the diff, then creates and updates resources to match the topology.
    Apply(TopologyArgs),
}

/// Options of `bus topology plan|apply`.
#[derive(Debug, clap::Args)]
pub struct TopologyArgs {
    /// The topology file: TOML (`.toml`) or JSON (`.json`; other names: JSON if it starts with `{`).
    pub file: PathBuf,
    /// The bus: `aws` (SNS/SQS from the environment) or `memory` (a fresh in-process bus).
    #[arg(long, value_enum, default_value = "aws")]
    pub backend: BackendKind,
}

/// Runs a `bus topology` subcommand.
pub fn run(command: &TopologyCommand, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    let (args, apply) = match command {
        TopologyCommand::Plan(a) => (a, false),
        TopologyCommand::Apply(a) => (a, true),
    };
    let topology = load(&args.file)?;
    runtime()?.block_on(async {
        let connected = connect(args.backend).await?;
        let plan = plan(&connected, &topology).await?;
        write!(console.out, "{plan}")?;
        writeln!(console.out, "plan: {}", plan.summary())?;
        if !apply {
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(c) = plan.lines.iter().find(|l| l.sign == Sign::Conflict) {
            return Err(CliError::PlanConflict(format!("{} {} cannot be changed in place", c.kind, c.name)));
        }
        if plan.is_in_sync() {
            writeln!(console.out, "nothing to apply")?;
            return Ok(ExitCode::SUCCESS);
        }
        connected.backend().apply_topology(&topology).await.map_err(|e| CliError::bus("apply the topology", e))?;
        let after = self::plan(&connected, &topology).await?;
        if !after.is_in_sync() {
            return Err(CliError::bus(
                "apply the topology",
                BusError::invalid_parameter("topology", format!("still differs after apply:\n{after}")),
            ));
        }
        let n = |s| plan.lines.iter().filter(|l| l.sign == s).count();
        writeln!(
            console.out,
            "applied on the {} backend: {} created, {} updated; now in sync",
            args.backend.as_str(),
            n(Sign::Create),
            n(Sign::Update)
        )?;
        if args.backend == BackendKind::Memory {
            writeln!(
                console.err,
                "note: the memory backend is this process's own: the topology is gone when `bus` exits"
            )?;
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// Reads, parses and validates a topology file. A filter policy given as a string is parsed as JSON.
pub fn load(path: &Path) -> Result<Topology, CliError> {
    if !path.is_file() {
        return Err(CliError::NoSuchFile { what: "topology", path: path.to_owned() });
    }
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile { path: path.to_owned(), source })?;
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let json = match ext.as_deref() {
        Some("json") => true,
        Some("toml") => false,
        _ => text.trim_start().starts_with('{'),
    };
    let bad = |format, message: String| CliError::TopologyFile { path: path.to_owned(), format, message };
    let mut topology: Topology = if json {
        serde_json::from_str(&text).map_err(|e| bad("JSON", e.to_string()))?
    } else {
        toml::from_str(&text).map_err(|e| bad("TOML", e.to_string()))?
    };
    for s in &mut topology.subscriptions {
        if let Some(serde_json::Value::String(policy)) = &s.filter_policy {
            let parsed = serde_json::from_str(policy).map_err(|e| {
                bad(if json { "JSON" } else { "TOML" }, format!("filter_policy of {} -> {}: {e}", s.topic, s.queue))
            })?;
            s.filter_policy = Some(parsed);
        }
    }
    validate(&topology)?;
    Ok(topology)
}

/// Validates every filter policy (naming its subscription), then the whole topology.
pub fn validate(topology: &Topology) -> Result<(), CliError> {
    for s in &topology.subscriptions {
        if let Some(p) = &s.filter_policy {
            SnsFilterPolicy::from_value(p, s.filter_policy_scope).map_err(|source| {
                CliError::InvalidSubscriptionPolicy { subscription: format!("{} -> {}", s.topic, s.queue), source }
            })?;
        }
    }
    topology.validate().map_err(CliError::InvalidTopology)
}

/// The mark of a resource in a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// `+`: to be created.
    Create,
    /// `~`: to be updated in place.
    Update,
    /// `=`: in sync.
    InSync,
    /// `!`: cannot be changed in place.
    Conflict,
}

/// One resource of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What apply would do.
    pub sign: Sign,
    /// `topic`, `queue`, `subscription`.
    pub kind: &'static str,
    /// `events`, `email`, `events -> email`.
    pub name: String,
    /// `(attribute, actual, desired)`.
    pub drift: Vec<(String, Option<String>, Option<String>)>,
}

/// A diff of a topology against a bus.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Every declared resource, in apply order.
    pub lines: Vec<Line>,
}

impl Plan {
    fn is_in_sync(&self) -> bool {
        self.lines.iter().all(|l| l.sign == Sign::InSync)
    }

    fn summary(&self) -> String {
        let n = |s| self.lines.iter().filter(|l| l.sign == s).count();
        let mut text =
            format!("{} to create, {} to update, {} in sync", n(Sign::Create), n(Sign::Update), n(Sign::InSync));
        if n(Sign::Conflict) > 0 {
            text.push_str(&format!(", {} in conflict", n(Sign::Conflict)));
        }
        text
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.lines {
            let sign = match l.sign {
                Sign::Create => '+',
                Sign::Update => '~',
                Sign::InSync => '=',
                Sign::Conflict => '!',
            };
            writeln!(f, "{sign} {} {}", l.kind, l.name)?;
            let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".to_owned());
            for (attribute, actual, desired) in &l.drift {
                match l.sign {
                    Sign::InSync => {}
                    Sign::Create => writeln!(f, "    {attribute} = {}", show(desired))?,
                    Sign::Update | Sign::Conflict => {
                        writeln!(f, "    {attribute}: {} -> {}", show(actual), show(desired))?
                    }
                }
            }
        }
        Ok(())
    }
}

/// The diff of `topology` against the connected bus.
pub async fn plan(connected: &Connected, topology: &Topology) -> Result<Plan, CliError> {
    match connected {
        Connected::Memory(m) => memory_plan(m, topology),
        #[cfg(feature = "aws")]
        Connected::Aws(b) => {
            let plan = b.plan(topology).await.map_err(|e| CliError::bus("plan the topology", e))?;
            Ok(from_aws(&plan))
        }
    }
}

#[cfg(feature = "aws")]
fn from_aws(plan: &bus_aws::Plan) -> Plan {
    use bus_aws::{Action, ResourceKind};
    let lines = plan
        .changes
        .iter()
        .map(|c| Line {
            sign: match c.action {
                Action::Create => Sign::Create,
                Action::Update => Sign::Update,
                Action::InSync => Sign::InSync,
                Action::Conflict => Sign::Conflict,
            },
            kind: match c.kind {
                ResourceKind::Topic => "topic",
                ResourceKind::Queue => "queue",
                ResourceKind::Subscription => "subscription",
            },
            name: c.name.clone(),
            drift: c.drift.iter().map(|d| (d.attribute.clone(), d.actual.clone(), d.desired.clone())).collect(),
        })
        .collect();
    Plan { lines }
}

type Attributes = Vec<(&'static str, String)>;

fn topic_attributes(t: &TopicSpec) -> Attributes {
    vec![("FifoTopic", t.fifo.to_string()), ("ContentBasedDeduplication", t.content_based_deduplication.to_string())]
}

fn queue_attributes(m: &MemoryBackend, q: &QueueSpec) -> Attributes {
    let mut a = vec![
        ("VisibilityTimeout", q.visibility_timeout.as_secs().to_string()),
        ("MessageRetentionPeriod", q.retention.as_secs().to_string()),
        ("DelaySeconds", q.delay.as_secs().to_string()),
        ("ReceiveMessageWaitTimeSeconds", q.receive_wait.as_secs().to_string()),
        ("FifoQueue", q.fifo.to_string()),
        ("ContentBasedDeduplication", q.content_based_deduplication.to_string()),
    ];
    if let Some(r) = &q.redrive {
        let arn = format!("arn:aws:sqs:{}:{}:{}", m.region(), m.account_id(), r.dead_letter_queue);
        let policy = serde_json::json!({"deadLetterTargetArn": arn, "maxReceiveCount": r.max_receive_count});
        a.push(("RedrivePolicy", policy.to_string()));
    }
    a
}

fn subscription_attributes(s: &SubscriptionSpec) -> Attributes {
    let mut a = Vec::new();
    if let Some(p) = &s.filter_policy {
        a.push(("FilterPolicy", p.to_string()));
        a.push(("FilterPolicyScope", s.filter_policy_scope.as_str().to_owned()));
    }
    a.push(("RawMessageDelivery", s.raw_message_delivery.to_string()));
    a
}

/// Compares declared attributes with the existing ones (`None`: the resource does not exist).
fn line(kind: &'static str, name: String, desired: Attributes, actual: Option<Attributes>) -> Line {
    let Some(actual) = actual else {
        let drift = desired.into_iter().map(|(k, v)| (k.to_owned(), None, Some(v))).collect();
        return Line { sign: Sign::Create, kind, name, drift };
    };
    let find = |list: &Attributes, k: &str| list.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    // Declared attributes first, then any the resource has that the declaration does not.
    let extra = actual.iter().filter(|(k, _)| find(&desired, k).is_none());
    let keys: Vec<&'static str> = desired.iter().chain(extra).map(|(k, _)| *k).collect();
    let drift: Vec<(String, Option<String>, Option<String>)> = keys
        .into_iter()
        .map(|k| (k.to_owned(), find(&actual, k), find(&desired, k)))
        .filter(|(_, a, d)| a != d)
        .collect();
    let fifo_changes = drift.iter().any(|(k, _, _)| k == "FifoTopic" || k == "FifoQueue");
    let sign = match (drift.is_empty(), fifo_changes) {
        (true, _) => Sign::InSync,
        (false, true) => Sign::Conflict,
        (false, false) => Sign::Update,
    };
    Line { sign, kind, name, drift }
}

/// The diff against an in-memory bus, through its admin calls.
fn memory_plan(m: &MemoryBackend, topology: &Topology) -> Result<Plan, CliError> {
    let exists = |r: Result<(), BusError>| match r {
        Ok(()) => Ok(true),
        Err(BusError::TopicNotFound(_) | BusError::QueueNotFound(_)) => Ok(false),
        Err(e) => Err(CliError::bus("read the memory backend", e)),
    };
    let mut lines = Vec::new();
    for t in &topology.topics {
        let actual = m.topic_spec(&t.name).ok().map(|a| topic_attributes(&a));
        lines.push(line("topic", t.name.clone(), topic_attributes(t), actual));
    }
    for q in &topology.queues {
        let actual = m.queue_spec(&q.name).ok().map(|a| queue_attributes(m, &a));
        lines.push(line("queue", q.name.clone(), queue_attributes(m, q), actual));
    }
    for s in &topology.subscriptions {
        let name = format!("{} -> {}", s.topic, s.queue);
        let arn = if exists(m.topic_spec(&s.topic).map(|_| ()))? {
            m.subscription_arn(&s.topic, &s.queue).map_err(|e| CliError::bus("read the memory backend", e))?
        } else {
            None
        };
        let actual = arn.and_then(|a| m.subscription_info(&a)).map(|i| subscription_attributes(&i.spec));
        lines.push(line("subscription", name, subscription_attributes(s), actual));
    }
    Ok(Plan { lines })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bus_core::Backend;

    #[tokio::test]
    async fn memory_plan_is_everything_new_then_in_sync_then_drift() {
        let m = MemoryBackend::new();
        let mut t = Topology::new().topic("events").queue(QueueSpec::new("email")).subscribe_with_policy(
            "events",
            "email",
            serde_json::json!({"event-type": ["A"]}),
        );
        let before = memory_plan(&m, &t).unwrap();
        assert!(before.lines.iter().all(|l| l.sign == Sign::Create), "{before}");
        assert_eq!(before.summary(), "3 to create, 0 to update, 0 in sync");
        m.apply_topology(&t).await.unwrap();
        assert!(memory_plan(&m, &t).unwrap().is_in_sync());
        t.queues[0].visibility_timeout = std::time::Duration::from_secs(90);
        let drift = memory_plan(&m, &t).unwrap();
        assert_eq!(drift.lines[1].sign, Sign::Update);
        assert_eq!(drift.lines[1].drift, [("VisibilityTimeout".to_owned(), Some("30".into()), Some("90".into()))]);
        assert!(drift.to_string().contains("~ queue email\n    VisibilityTimeout: 30 -> 90\n"), "{drift}");
    }
}
