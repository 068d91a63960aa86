//! Subscription calls: `Subscribe` (protocol `sqs`), `Unsubscribe`, `ListSubscriptions(ByTopic)`,
//! `Get/SetSubscriptionAttributes`. Filter policies are validated by the engine, with SNS's texts.

use std::collections::BTreeMap;

use bus_core::backend::SubscriptionSpec;
use bus_core::filter::{FilterScope, SnsFilterPolicy};
use bus_memory::SubscriptionInfo;
use serde_json::Value;

use super::errors::SnsError;
use super::form::Form;
use super::topics::topic_name;
use super::xml::Xml;
use super::Ctx;
use crate::registry::SubscriptionMeta;

/// Subscriptions per list page.
const PAGE: usize = 100;

/// Subscription attributes stored as given.
const STORED: [&str; 4] = ["RedrivePolicy", "DeliveryPolicy", "SubscriptionRoleArn", "ReplayPolicy"];

fn raw(value: &str, subscribe: bool) -> Result<bool, SnsError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SnsError::invalid_parameter(if subscribe {
            format!("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
        } else {
            format!("Invalid parameter: RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
        })),
    }
}

/// A filter policy's text checked with `scope`: `None` for no policy (empty text).
fn policy(text: &str, scope: FilterScope, subscribe: bool) -> Result<Option<Value>, SnsError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    SnsFilterPolicy::parse(text, scope).map_err(|e| SnsError::filter(&e, subscribe))?;
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| SnsError::invalid_parameter(format!("Invalid parameter: FilterPolicy: {e}")))
}

fn scope(text: &str, subscribe: bool) -> Result<FilterScope, SnsError> {
    FilterScope::parse(text).map_err(|e| SnsError::filter(&e, subscribe))
}

fn redrive(value: &str, subscribe: bool) -> Result<(), SnsError> {
    if value.is_empty() {
        return Ok(());
    }
    let ok = serde_json::from_str::<Value>(value)
        .ok()
        .and_then(|v| v.get("deadLetterTargetArn").and_then(Value::as_str).map(|a| a.starts_with("arn:")))
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        let head = if subscribe { "Invalid parameter: Attributes Reason: " } else { "Invalid parameter: " };
        Err(SnsError::invalid_parameter(format!(
            "{head}RedrivePolicy: Invalid RedrivePolicy: deadLetterTargetArn is missing or not an ARN"
        )))
    }
}

/// `Subscribe`: protocol `sqs`, the endpoint a queue ARN of this server. Subscribing the same queue
/// again with the same attributes returns the same subscription.
pub(crate) fn subscribe(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let topic = topic_name(ctx, form, "TopicArn")?;
    let protocol = form.req("Protocol")?;
    if protocol != "sqs" {
        return Err(SnsError::invalid_parameter(format!(
            "Invalid parameter: Protocol Reason: bus serve delivers to protocol sqs only, not {protocol}"
        )));
    }
    let endpoint = form.req("Endpoint")?;
    let svc = ctx.svc;
    let queue = svc.name_from_arn("sqs", endpoint).filter(|q| svc.backend.queue_spec(q).is_ok()).ok_or_else(|| {
        SnsError::invalid_parameter(format!(
            "Invalid parameter: Endpoint Reason: {endpoint} is not the ARN of a queue of this server"
        ))
    })?;
    let attrs = form.map("Attributes", "key", "value")?;
    let filter_scope = match attrs.get("FilterPolicyScope") {
        Some(s) => scope(s, true)?,
        None => FilterScope::MessageAttributes,
    };
    let mut spec = SubscriptionSpec {
        topic: topic.to_owned(),
        queue: queue.to_owned(),
        filter_policy: None,
        filter_policy_scope: filter_scope,
        raw_message_delivery: false,
    };
    let mut meta = SubscriptionMeta::default();
    for (k, v) in &attrs {
        match k.as_str() {
            "FilterPolicyScope" => {}
            "FilterPolicy" => spec.filter_policy = policy(v, filter_scope, true)?,
            "RawMessageDelivery" => spec.raw_message_delivery = raw(v, true)?,
            "RedrivePolicy" => {
                redrive(v, true)?;
                meta.attributes.insert(k.clone(), v.clone());
            }
            s if STORED.contains(&s) => {
                meta.attributes.insert(k.clone(), v.clone());
            }
            other => {
                return Err(SnsError::invalid_parameter(format!(
                    "Invalid parameter: Attributes Reason: Unknown attribute {other}"
                )))
            }
        }
    }
    let mut reg = svc.registry();
    svc.backend.topic_spec(topic)?;
    let info = svc.backend.subscribe(&spec, None).map_err(|e| match e {
        bus_core::BusError::InvalidFilterPolicy(f) => SnsError::filter(&f, true),
        other => SnsError::from_bus(&other),
    })?;
    let entry = reg.subscription(&info.arn);
    entry.attributes.extend(meta.attributes);
    svc.persist(&reg);
    let mut x = Xml::default();
    x.leaf("SubscriptionArn", &info.arn);
    Ok(x)
}

/// `Unsubscribe` (an unknown subscription succeeds, as on SNS).
pub(crate) fn unsubscribe(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let arn = form.req("SubscriptionArn")?;
    let svc = ctx.svc;
    let mut reg = svc.registry();
    if svc.backend.unsubscribe(arn) {
        reg.subscriptions.remove(arn);
        svc.persist(&reg);
    }
    Ok(Xml::default())
}

fn list(ctx: &Ctx<'_>, form: &Form, subs: Vec<SubscriptionInfo>) -> Xml {
    let after = form.get("NextToken").filter(|t| !t.is_empty());
    let rest: Vec<&SubscriptionInfo> = subs.iter().filter(|s| after.is_none_or(|a| s.arn.as_str() > a)).collect();
    let mut x = Xml::default();
    x.open("Subscriptions");
    for s in rest.iter().take(PAGE) {
        x.open("member")
            .leaf("TopicArn", &s.topic_arn)
            .leaf("Protocol", "sqs")
            .leaf("SubscriptionArn", &s.arn)
            .leaf("Owner", &ctx.svc.config.account_id)
            .leaf("Endpoint", &s.queue_arn)
            .close("member");
    }
    x.close("Subscriptions");
    if rest.len() > PAGE {
        x.leaf("NextToken", &rest[PAGE - 1].arn);
    }
    x
}

/// `ListSubscriptions`, 100 per page.
pub(crate) fn list_subscriptions(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let mut subs = ctx.svc.backend.subscriptions();
    subs.sort_by(|a, b| a.arn.cmp(&b.arn));
    Ok(list(ctx, form, subs))
}

/// `ListSubscriptionsByTopic`, 100 per page.
pub(crate) fn list_subscriptions_by_topic(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let topic = topic_name(ctx, form, "TopicArn")?;
    ctx.svc.backend.topic_spec(topic)?;
    let mut subs: Vec<SubscriptionInfo> =
        ctx.svc.backend.subscriptions().into_iter().filter(|s| s.spec.topic == topic).collect();
    subs.sort_by(|a, b| a.arn.cmp(&b.arn));
    Ok(list(ctx, form, subs))
}

fn find(ctx: &Ctx<'_>, arn: &str) -> Result<SubscriptionInfo, SnsError> {
    ctx.svc.backend.subscription_info(arn).ok_or_else(|| SnsError::not_found("Subscription does not exist"))
}

/// `GetSubscriptionAttributes`.
pub(crate) fn get_subscription_attributes(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let arn = form.req("SubscriptionArn")?;
    let info = find(ctx, arn)?;
    let account = &ctx.svc.config.account_id;
    let mut attrs: BTreeMap<String, String> = BTreeMap::new();
    attrs.insert("SubscriptionArn".into(), info.arn.clone());
    attrs.insert("TopicArn".into(), info.topic_arn.clone());
    attrs.insert("Owner".into(), account.clone());
    attrs.insert("Protocol".into(), "sqs".into());
    attrs.insert("Endpoint".into(), info.queue_arn.clone());
    attrs.insert("ConfirmationWasAuthenticated".into(), "true".into());
    attrs.insert("PendingConfirmation".into(), "false".into());
    attrs.insert("SubscriptionPrincipal".into(), format!("arn:aws:iam::{account}:root"));
    attrs.insert("RawMessageDelivery".into(), info.spec.raw_message_delivery.to_string());
    if let Some(p) = &info.spec.filter_policy {
        attrs.insert("FilterPolicy".into(), p.to_string());
        attrs.insert("FilterPolicyScope".into(), info.spec.filter_policy_scope.as_str().to_owned());
    } else if info.spec.filter_policy_scope != FilterScope::MessageAttributes {
        attrs.insert("FilterPolicyScope".into(), info.spec.filter_policy_scope.as_str().to_owned());
    }
    if let Some(meta) = ctx.svc.registry().subscriptions.get(arn) {
        attrs.extend(meta.attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let mut x = Xml::default();
    x.map("Attributes", attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(x)
}

/// `SetSubscriptionAttributes`: one attribute per call; a policy is checked against the (new) scope.
pub(crate) fn set_subscription_attributes(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let arn = form.req("SubscriptionArn")?;
    let attribute = form.req("AttributeName")?;
    let value = form.get("AttributeValue").unwrap_or("");
    let svc = ctx.svc;
    let mut reg = svc.registry();
    let info = find(ctx, arn)?;
    let mut spec = info.spec.clone();
    match attribute {
        "FilterPolicy" => spec.filter_policy = policy(value, spec.filter_policy_scope, false)?,
        "FilterPolicyScope" => {
            spec.filter_policy_scope = scope(value, false)?;
            if let Some(p) = &spec.filter_policy {
                SnsFilterPolicy::parse(&p.to_string(), spec.filter_policy_scope)
                    .map_err(|e| SnsError::filter(&e, false))?;
            }
        }
        "RawMessageDelivery" => spec.raw_message_delivery = raw(value, false)?,
        s if STORED.contains(&s) => {
            if s == "RedrivePolicy" {
                redrive(value, false)?;
            }
            let meta = reg.subscription(arn);
            if value.is_empty() {
                meta.attributes.remove(s);
            } else {
                meta.attributes.insert(s.to_owned(), value.to_owned());
            }
        }
        _ => return Err(SnsError::invalid_parameter("Invalid parameter: AttributeName")),
    }
    if spec != info.spec && !svc.backend.update_subscription(arn, &spec)? {
        return Err(SnsError::not_found("Subscription does not exist"));
    }
    svc.persist(&reg);
    Ok(Xml::default())
}
