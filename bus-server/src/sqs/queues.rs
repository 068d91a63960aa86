//! Queue administration: `CreateQueue`, `GetQueueUrl`, `ListQueues`, `DeleteQueue`,
//! `Get/SetQueueAttributes`, `PurgeQueue`, `ListDeadLetterSourceQueues`, `TagQueue`, `UntagQueue`,
//! `ListQueueTags`.

use std::collections::BTreeMap;

use bus_core::backend::QueueSpec;
use bus_core::Backend;
use serde_json::{json, Value};

use super::attributes;
use super::errors::SqsError;
use super::json::{object, Input};
use super::Ctx;
use crate::registry::{now_secs, QueueMeta};

/// At most this many tags per queue.
const MAX_TAGS: usize = 50;

fn fifo_name_error() -> SqsError {
    SqsError::invalid_value(
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
    )
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), SqsError> {
    for (k, v) in tags {
        if k.is_empty() || k.len() > 128 || v.len() > 256 {
            return Err(SqsError::invalid_value(format!(
                "Tag key {k:?} must be 1-128 characters and its value at most 256 characters."
            )));
        }
    }
    Ok(())
}

/// `CreateQueue`: creates a queue, or returns the URL of an existing one with the same attributes.
pub(crate) fn create_queue(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = input.req_str("QueueName")?;
    let attrs = input.str_map("Attributes")?;
    let tags = input.str_map("tags")?;
    check_tags(&tags)?;
    if tags.len() > MAX_TAGS {
        return Err(SqsError::invalid_value(format!("Too many tags: {}, the limit is {MAX_TAGS}.", tags.len())));
    }
    let fifo = match attrs.get("FifoQueue").map(|v| v.to_ascii_lowercase()) {
        None => false,
        Some(v) if v == "true" => true,
        Some(v) if v == "false" => false,
        Some(_) => return Err(SqsError::invalid_attribute_value("FifoQueue", None)),
    };
    if fifo != name.ends_with(".fifo") {
        return Err(fifo_name_error());
    }
    let svc = ctx.svc;
    let mut reg = svc.registry();
    if let Ok(existing) = svc.backend.queue_spec(name) {
        let current_meta = reg.queue(name).clone();
        let (mut spec, mut meta) = (existing.clone(), current_meta.clone());
        attributes::apply(svc, &mut spec, &mut meta, &attrs, true)?;
        if spec != existing || meta != current_meta {
            return Err(SqsError::queue_exists(format!(
                "A queue already exists with the same name and a different value for attribute(s) {}",
                attrs.keys().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        return Ok(json!({ "QueueUrl": ctx.queue_url(name) }));
    }
    let mut spec = QueueSpec::new(name);
    spec.fifo = fifo;
    let mut meta = QueueMeta::new();
    attributes::apply(svc, &mut spec, &mut meta, &attrs, true)?;
    meta.tags = tags;
    svc.backend.create_queue(&spec)?;
    reg.queues.insert(name.to_owned(), meta);
    svc.persist(&reg);
    Ok(json!({ "QueueUrl": ctx.queue_url(name) }))
}

/// `GetQueueUrl`.
pub(crate) fn get_queue_url(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = input.req_str("QueueName")?;
    if let Some(owner) = input.str("QueueOwnerAWSAccountId")? {
        if owner != ctx.svc.config.account_id {
            return Err(SqsError::queue_not_found());
        }
    }
    ctx.svc.backend.queue_spec(name)?;
    Ok(json!({ "QueueUrl": ctx.queue_url(name) }))
}

fn max_results(input: &Input) -> Result<Option<usize>, SqsError> {
    match input.int("MaxResults")? {
        None => Ok(None),
        Some(n) if (1..=1000).contains(&n) => Ok(Some(n as usize)),
        Some(n) => Err(SqsError::invalid_param("MaxResults", n, "MaxResults must be an integer between 1 and 1000.")),
    }
}

/// One page of sorted names after `NextToken`, and the token of the next page.
fn page(names: Vec<String>, input: &Input) -> Result<(Vec<String>, Option<String>), SqsError> {
    let limit = max_results(input)?;
    let after = input.str("NextToken")?;
    let rest: Vec<String> = names.into_iter().filter(|n| after.is_none_or(|a| n.as_str() > a)).collect();
    match limit {
        Some(l) if rest.len() > l => {
            let next = rest[l - 1].clone();
            Ok((rest.into_iter().take(l).collect(), Some(next)))
        }
        Some(_) => Ok((rest, None)),
        None => Ok((rest.into_iter().take(1000).collect(), None)),
    }
}

/// `ListQueues`.
pub(crate) fn list_queues(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let prefix = input.str("QueueNamePrefix")?.unwrap_or("");
    let names: Vec<String> = ctx.svc.backend.queue_names().into_iter().filter(|n| n.starts_with(prefix)).collect();
    let (names, next) = page(names, input)?;
    let urls: Vec<Value> = names.iter().map(|n| Value::String(ctx.queue_url(n))).collect();
    Ok(object([
        ("QueueUrls", (!urls.is_empty()).then_some(Value::Array(urls))),
        ("NextToken", next.map(Value::String)),
    ]))
}

/// `DeleteQueue`: the queue, its messages and the subscriptions delivering to it.
pub(crate) fn delete_queue(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = ctx.queue_name(input)?;
    let svc = ctx.svc;
    let mut reg = svc.registry();
    svc.backend.delete_queue(&name)?;
    reg.queues.remove(&name);
    let live: std::collections::HashSet<String> = svc.backend.subscriptions().into_iter().map(|s| s.arn).collect();
    reg.subscriptions.retain(|arn, _| live.contains(arn));
    svc.persist(&reg);
    Ok(json!({}))
}

/// `GetQueueAttributes`.
pub(crate) async fn get_queue_attributes(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = ctx.queue_name(input)?;
    let requested = input.str_list("AttributeNames")?;
    let svc = ctx.svc;
    let spec = svc.backend.queue_spec(&name)?;
    let stats = svc.backend.queue_stats(&name).await?;
    let meta = svc.registry().queue(&name).clone();
    let attrs = attributes::render(svc, &spec, &meta, stats, &requested)?;
    Ok(object([("Attributes", (!attrs.is_empty()).then(|| json!(attrs)))]))
}

/// `SetQueueAttributes`.
pub(crate) fn set_queue_attributes(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = ctx.queue_name(input)?;
    if !input.has("Attributes") {
        return Err(SqsError::missing("Attributes"));
    }
    let attrs = input.str_map("Attributes")?;
    let svc = ctx.svc;
    let mut reg = svc.registry();
    let current = svc.backend.queue_spec(&name)?;
    let mut spec = current.clone();
    let mut meta = reg.queue(&name).clone();
    attributes::apply(svc, &mut spec, &mut meta, &attrs, false)?;
    if spec != current {
        svc.backend.set_queue_spec(&spec)?;
    }
    meta.modified = now_secs();
    reg.queues.insert(name, meta);
    svc.persist(&reg);
    Ok(json!({}))
}

/// `PurgeQueue`.
pub(crate) async fn purge_queue(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = ctx.queue_name(input)?;
    ctx.svc.backend.purge(&name).await?;
    Ok(json!({}))
}

/// `ListDeadLetterSourceQueues`.
pub(crate) fn list_dead_letter_source_queues(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = ctx.queue_name(input)?;
    let names = ctx.svc.backend.dead_letter_source_queues(&name)?;
    let (names, next) = page(names, input)?;
    let urls: Vec<Value> = names.iter().map(|n| Value::String(ctx.queue_url(n))).collect();
    Ok(object([("queueUrls", Some(Value::Array(urls))), ("NextToken", next.map(Value::String))]))
}

/// `TagQueue`.
pub(crate) fn tag_queue(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = ctx.queue_name(input)?;
    let tags = input.str_map("Tags")?;
    if tags.is_empty() {
        return Err(SqsError::missing("Tags"));
    }
    check_tags(&tags)?;
    let svc = ctx.svc;
    let mut reg = svc.registry();
    svc.backend.queue_spec(&name)?;
    let meta = reg.queue(&name);
    let mut merged = meta.tags.clone();
    merged.extend(tags);
    if merged.len() > MAX_TAGS {
        return Err(SqsError::invalid_value(format!("Too many tags added for queue {name}.")));
    }
    meta.tags = merged;
    svc.persist(&reg);
    Ok(json!({}))
}

/// `UntagQueue`.
pub(crate) fn untag_queue(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = ctx.queue_name(input)?;
    let keys = input.str_list("TagKeys")?;
    if keys.is_empty() {
        return Err(SqsError::missing("TagKeys"));
    }
    let svc = ctx.svc;
    let mut reg = svc.registry();
    svc.backend.queue_spec(&name)?;
    let meta = reg.queue(&name);
    for k in &keys {
        meta.tags.remove(k);
    }
    svc.persist(&reg);
    Ok(json!({}))
}

/// `ListQueueTags`.
pub(crate) fn list_queue_tags(ctx: &Ctx<'_>, input: &Input) -> Result<Value, SqsError> {
    let name = ctx.queue_name(input)?;
    ctx.svc.backend.queue_spec(&name)?;
    let tags = ctx.svc.registry().queue(&name).tags.clone();
    Ok(object([("Tags", (!tags.is_empty()).then(|| json!(tags)))]))
}
