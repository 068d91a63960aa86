//! `bus filter test`: does one message match one policy? A tool for a person debugging a policy.

use std::process::ExitCode;

use bus_core::filter::{FilterPolicy, FilterScope, SnsFilterPolicy};
use bus_core::{limits, Message};

use super::attributes::parse_attributes;
use crate::commands::Console;
use crate::error::CliError;
use crate::input::{file_or_text, Source};

/// Arguments of `bus filter test`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("message").required(true).multiple(true).args(["attributes", "body"])))]
pub struct TestArgs {
    /// The filter policy: a file, `-` for standard input, or the JSON text itself.
    #[arg(long, value_name = "FILE|JSON")]
    pub policy: String,
    /// The policy's scope (SNS `FilterPolicyScope`).
    #[arg(long, value_name = "MessageAttributes|MessageBody", default_value = "MessageAttributes")]
    pub scope: String,
    /// The message attributes as JSON (or a file of it): `{"name": {"Type": "String", "Value": "v"}}`,
    /// or the shorthands `{"name": "v"}` (String), `{"n": 5}` (Number), `{"tags": ["a", "b"]}` (String.Array).
    #[arg(long, value_name = "FILE|JSON")]
    pub attributes: Option<String>,
    /// The message body: a file, `-` for standard input, or the text itself.
    #[arg(long, value_name = "FILE|TEXT")]
    pub body: Option<String>,
}

/// Runs `bus filter test`: prints `match` or `no match` and exits 0; invalid input is an error (exit 2).
pub fn run(args: &TestArgs, console: &mut Console<'_>) -> Result<ExitCode, CliError> {
    let stdin_uses = [Some(&args.policy), args.attributes.as_ref(), args.body.as_ref()]
        .into_iter()
        .filter(|a| a.is_some_and(|a| a == "-"))
        .count();
    if stdin_uses > 1 {
        return Err(CliError::StdinTwice);
    }
    let scope = FilterScope::parse(&args.scope).map_err(CliError::InvalidScope)?;
    let (policy_text, policy_source) = file_or_text("--policy", &args.policy)?;
    let policy = SnsFilterPolicy::parse(&policy_text, scope).map_err(CliError::InvalidPolicy)?;

    let mut message = Message::default();
    if let Some(a) = &args.attributes {
        let (json, _) = file_or_text("--attributes", a)?;
        message.attributes = parse_attributes(&json)?;
    }
    if let Some(b) = &args.body {
        let (body, source) = file_or_text("--body", b)?;
        // A file or standard input usually ends with a newline that is not part of the message.
        message.body = match source {
            Source::Inline => body,
            Source::File(_) | Source::Stdin => body.strip_suffix('\n').unwrap_or(&body).to_owned(),
        };
    }
    message.validate(limits::SNS_MAX_MESSAGE_BYTES).map_err(CliError::InvalidMessage)?;

    for note in notes(args, scope, &message) {
        writeln!(console.err, "note: {note}")?;
    }
    let from = match policy_source {
        Source::File(p) => format!(" from {}", p.display()),
        Source::Stdin => " from standard input".to_owned(),
        Source::Inline => String::new(),
    };
    if policy.matches(&message) {
        writeln!(console.out, "match: the message matches the policy{from} (scope {})", scope.as_str())?;
    } else {
        writeln!(console.out, "no match: the message does not match the policy{from} (scope {})", scope.as_str())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Hints for the common mistakes: the scope looks at a part of the message that was not given.
fn notes(args: &TestArgs, scope: FilterScope, message: &Message) -> Vec<String> {
    let mut notes = Vec::new();
    match scope {
        FilterScope::MessageAttributes if args.attributes.is_none() => notes.push(
            "the scope is MessageAttributes but no --attributes were given; pass --scope MessageBody to filter on the body"
                .to_owned(),
        ),
        FilterScope::MessageBody if args.body.is_none() => {
            notes.push("the scope is MessageBody but no --body was given; an empty body matches only the empty policy".to_owned())
        }
        FilterScope::MessageBody => {
            let is_object = serde_json::from_str::<serde_json::Value>(&message.body).is_ok_and(|v| v.is_object());
            if !is_object {
                notes.push("the body is not a JSON object, so only the empty policy matches it".to_owned());
            }
        }
        FilterScope::MessageAttributes => {}
    }
    notes
}
