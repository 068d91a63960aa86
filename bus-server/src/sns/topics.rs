//! Topic calls: `CreateTopic`, `DeleteTopic`, `ListTopics`, `Get/SetTopicAttributes`, and the tag
//! calls `TagResource`, `UntagResource`, `ListTagsForResource`.

use std::collections::BTreeMap;

use bus_core::backend::TopicSpec;
use serde_json::json;

use super::errors::SnsError;
use super::form::Form;
use super::xml::Xml;
use super::Ctx;
use crate::registry::TopicMeta;

/// Attributes stored as given.
const STORED: [&str; 8] = [
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ArchivePolicy",
    "FifoThroughputScope",
];

/// Topics per `ListTopics` page.
const PAGE: usize = 100;

fn boolean(name: &str, value: &str) -> Result<bool, SnsError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SnsError::invalid_parameter(format!(
            "Invalid parameter: Attributes Reason: {name}: Invalid value [{value}]. Must be true or false."
        ))),
    }
}

/// The topic name of a `TopicArn` (or `TargetArn`, `ResourceArn`) parameter; `NotFound` when the ARN
/// is of another account or region, `InvalidParameter` when it is no SNS ARN.
pub(crate) fn topic_name<'f>(ctx: &Ctx<'_>, form: &'f Form, param: &str) -> Result<&'f str, SnsError> {
    let arn = form.req(param)?;
    match ctx.svc.name_from_arn("sns", arn) {
        Some(name) => Ok(name),
        None if arn.starts_with("arn:") && arn.split(':').count() == 6 => Err(SnsError::topic_not_found()),
        None => Err(SnsError::invalid_parameter(format!("Invalid parameter: {param}"))),
    }
}

fn tags_of(form: &Form) -> Result<BTreeMap<String, String>, SnsError> {
    let mut out = BTreeMap::new();
    for t in form.indexed("Tags.member")? {
        let key = t.get("Key").filter(|k| !k.is_empty() && k.len() <= 128).ok_or_else(|| {
            SnsError::invalid_parameter("Invalid parameter: Tags Reason: a tag key must be 1-128 characters")
        })?;
        out.insert(key.to_owned(), t.get("Value").unwrap_or("").to_owned());
    }
    if out.len() > 50 {
        return Err(SnsError::new_tag_limit());
    }
    Ok(out)
}

impl SnsError {
    fn new_tag_limit() -> Self {
        SnsError {
            code: "TagLimitExceeded",
            ..SnsError::invalid_parameter("Could not complete request: tag quota of per resource exceeded")
        }
    }
}

/// `CreateTopic`: creates a topic, or returns the ARN of an existing one with the same FIFO settings.
pub(crate) fn create_topic(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let name = form.get("Name").unwrap_or("");
    let attrs = form.map("Attributes", "key", "value")?;
    let tags = tags_of(form)?;
    let fifo = attrs.get("FifoTopic").map(|v| boolean("FifoTopic", v)).transpose()?.unwrap_or(false);
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    let valid = !base.is_empty()
        && name.len() <= bus_core::limits::MAX_TOPIC_NAME_LEN
        && base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid || fifo != name.ends_with(".fifo") {
        return Err(SnsError::invalid_parameter(if fifo || name.ends_with(".fifo") {
            "Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long."
        } else {
            "Invalid parameter: Topic Name"
        }));
    }
    let mut spec = TopicSpec::new(name);
    spec.fifo = fifo;
    let mut meta = TopicMeta::default();
    for (k, v) in &attrs {
        match k.as_str() {
            "FifoTopic" => {}
            "ContentBasedDeduplication" => {
                spec.content_based_deduplication = boolean(k, v)?;
                if spec.content_based_deduplication && !fifo {
                    return Err(SnsError::invalid_parameter(
                        "Invalid parameter: Attributes Reason: Content based deduplication can only be set for FIFO topics",
                    ));
                }
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
    meta.tags = tags;
    let svc = ctx.svc;
    let mut reg = svc.registry();
    if svc.backend.create_topic(&spec)? {
        reg.topics.insert(name.to_owned(), meta);
        svc.persist(&reg);
    }
    let mut x = Xml::default();
    x.leaf("TopicArn", &svc.topic_arn(name));
    Ok(x)
}

/// `DeleteTopic` (deleting a topic that does not exist succeeds, as on SNS).
pub(crate) fn delete_topic(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let name = topic_name(ctx, form, "TopicArn")?;
    let svc = ctx.svc;
    let mut reg = svc.registry();
    let arns: Vec<String> =
        svc.backend.subscriptions().into_iter().filter(|s| s.spec.topic == name).map(|s| s.arn).collect();
    if svc.backend.delete_topic(name).is_ok() {
        reg.topics.remove(name);
        for arn in arns {
            reg.subscriptions.remove(&arn);
        }
        svc.persist(&reg);
    }
    Ok(Xml::default())
}

/// `ListTopics`, 100 per page.
pub(crate) fn list_topics(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let after = form.get("NextToken").filter(|t| !t.is_empty());
    let names: Vec<String> =
        ctx.svc.backend.topic_names().into_iter().filter(|n| after.is_none_or(|a| n.as_str() > a)).collect();
    let mut x = Xml::default();
    x.open("Topics");
    for n in names.iter().take(PAGE) {
        x.open("member").leaf("TopicArn", &ctx.svc.topic_arn(n)).close("member");
    }
    x.close("Topics");
    if names.len() > PAGE {
        x.leaf("NextToken", &names[PAGE - 1]);
    }
    Ok(x)
}

/// `GetTopicAttributes`.
pub(crate) fn get_topic_attributes(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let name = topic_name(ctx, form, "TopicArn")?;
    let svc = ctx.svc;
    let spec = svc.backend.topic_spec(name)?;
    let arn = svc.topic_arn(name);
    let account = &svc.config.account_id;
    let confirmed = svc.backend.subscriptions().iter().filter(|s| s.spec.topic == name).count();
    let mut attrs: BTreeMap<String, String> = BTreeMap::new();
    attrs.insert("TopicArn".into(), arn.clone());
    attrs.insert("Owner".into(), account.clone());
    attrs.insert("DisplayName".into(), String::new());
    attrs.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
    attrs.insert("SubscriptionsPending".into(), "0".into());
    attrs.insert("SubscriptionsDeleted".into(), "0".into());
    attrs.insert(
        "Policy".into(),
        json!({
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [{
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                    "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic",
                    "SNS:Publish"],
                "Resource": arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            }],
        })
        .to_string(),
    );
    attrs.insert(
        "EffectiveDeliveryPolicy".into(),
        json!({"http": {"defaultHealthyRetryPolicy": {"minDelayTarget": 20, "maxDelayTarget": 20, "numRetries": 3,
            "numMaxDelayRetries": 0, "numNoDelayRetries": 0, "numMinDelayRetries": 0, "backoffFunction": "linear"},
            "disableSubscriptionOverrides": false,
            "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}}})
        .to_string(),
    );
    if spec.fifo {
        attrs.insert("FifoTopic".into(), "true".into());
        attrs.insert("ContentBasedDeduplication".into(), spec.content_based_deduplication.to_string());
    }
    if let Some(meta) = svc.registry().topics.get(name) {
        attrs.extend(meta.attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    let mut x = Xml::default();
    x.map("Attributes", attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Ok(x)
}

/// `SetTopicAttributes`.
pub(crate) fn set_topic_attributes(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let name = topic_name(ctx, form, "TopicArn")?;
    let attribute = form.req("AttributeName")?;
    let value = form.get("AttributeValue").unwrap_or("");
    let svc = ctx.svc;
    let mut reg = svc.registry();
    svc.backend.topic_spec(name)?;
    match attribute {
        "ContentBasedDeduplication" => {
            svc.backend.set_topic_content_based_deduplication(name, boolean(attribute, value)?)?
        }
        "FifoTopic" => {
            return Err(SnsError::invalid_parameter(
                "Invalid parameter: AttributeName Reason: FifoTopic cannot be changed",
            ))
        }
        s if STORED.contains(&s) => {
            let meta = reg.topic(name);
            if value.is_empty() {
                meta.attributes.remove(s);
            } else {
                meta.attributes.insert(s.to_owned(), value.to_owned());
            }
        }
        _ => return Err(SnsError::invalid_parameter("Invalid parameter: AttributeName")),
    }
    svc.persist(&reg);
    Ok(Xml::default())
}

/// `TagResource` (topics).
pub(crate) fn tag_resource(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let name = topic_name(ctx, form, "ResourceArn").map_err(|_| SnsError::resource_not_found())?;
    let tags = tags_of(form)?;
    let svc = ctx.svc;
    let mut reg = svc.registry();
    svc.backend.topic_spec(name).map_err(|_| SnsError::resource_not_found())?;
    let meta = reg.topic(name);
    let mut merged = meta.tags.clone();
    merged.extend(tags);
    if merged.len() > 50 {
        return Err(SnsError::new_tag_limit());
    }
    meta.tags = merged;
    svc.persist(&reg);
    Ok(Xml::default())
}

/// `UntagResource` (topics).
pub(crate) fn untag_resource(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let name = topic_name(ctx, form, "ResourceArn").map_err(|_| SnsError::resource_not_found())?;
    let keys = form.list("TagKeys")?;
    let svc = ctx.svc;
    let mut reg = svc.registry();
    svc.backend.topic_spec(name).map_err(|_| SnsError::resource_not_found())?;
    let meta = reg.topic(name);
    for k in &keys {
        meta.tags.remove(k);
    }
    svc.persist(&reg);
    Ok(Xml::default())
}

/// `ListTagsForResource` (topics).
pub(crate) fn list_tags_for_resource(ctx: &Ctx<'_>, form: &Form) -> Result<Xml, SnsError> {
    let name = topic_name(ctx, form, "ResourceArn").map_err(|_| SnsError::resource_not_found())?;
    ctx.svc.backend.topic_spec(name).map_err(|_| SnsError::resource_not_found())?;
    let tags = ctx.svc.registry().topic(name).tags.clone();
    let mut x = Xml::default();
    x.open("Tags");
    for (k, v) in &tags {
        x.open("member").leaf("Key", k).leaf("Value", v).close("member");
    }
    x.close("Tags");
    Ok(x)
}
