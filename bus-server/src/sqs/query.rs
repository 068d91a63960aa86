//! SQS over the older query protocol (form-encoded `Action=SendMessage&QueueUrl=...`, XML answers in
//! the namespace `http://queue.amazonaws.com/doc/2012-11-05/`), for SDKs that predate the JSON
//! protocol. The form is turned into the JSON request the handlers take, and their JSON answer into
//! the XML the query protocol returns, so both protocols share every rule.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};

use super::errors::SqsError;
use super::json::Input;
use super::{dispatch, Ctx};
use crate::service::Service;
use crate::sns::form::Form;
use crate::sns::xml::{escape, respond, Xml};

/// SQS's query-protocol namespace.
const NAMESPACE: &str = "http://queue.amazonaws.com/doc/2012-11-05/";

/// The SQS actions (query protocol names are the same as the JSON ones).
const ACTIONS: [&str; 23] = [
    "CreateQueue",
    "GetQueueUrl",
    "ListQueues",
    "DeleteQueue",
    "GetQueueAttributes",
    "SetQueueAttributes",
    "PurgeQueue",
    "ListDeadLetterSourceQueues",
    "TagQueue",
    "UntagQueue",
    "ListQueueTags",
    "SendMessage",
    "SendMessageBatch",
    "ReceiveMessage",
    "DeleteMessage",
    "DeleteMessageBatch",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "AddPermission",
    "RemovePermission",
    "StartMessageMoveTask",
    "CancelMessageMoveTask",
    "ListMessageMoveTasks",
];

/// Whether `action` is an SQS action.
pub(crate) fn is_action(action: &str) -> bool {
    ACTIONS.contains(&action)
}

/// Parameters that are integers in the JSON protocol.
const INTEGERS: [&str; 5] =
    ["DelaySeconds", "MaxNumberOfMessages", "VisibilityTimeout", "WaitTimeSeconds", "MaxResults"];

/// A form (or a batch entry's sub-form) as the JSON request object.
fn to_json(form: &Form, action: &str) -> Result<Map<String, Value>, SqsError> {
    let mut out = Map::new();
    let bad = |e: crate::sns::errors::SnsError| SqsError::invalid_value(e.message);
    for (k, v) in form.iter() {
        if k.contains('.') || k == "Action" || k == "Version" {
            continue;
        }
        let value = if INTEGERS.contains(&k) {
            Value::from(v.parse::<i64>().map_err(|_| SqsError::invalid_param(k, v, "Must be an integer."))?)
        } else {
            Value::String(v.to_owned())
        };
        out.insert(k.to_owned(), value);
    }
    let pairs = |prefix: &str, key: &str, value: &str| -> Result<Map<String, Value>, SqsError> {
        Ok(form
            .indexed(prefix)
            .map_err(bad)?
            .into_iter()
            .filter_map(|e| Some((e.get(key)?.to_owned(), Value::String(e.get(value).unwrap_or("").to_owned()))))
            .collect())
    };
    let attrs = pairs("Attribute", "Name", "Value")?;
    if !attrs.is_empty() {
        out.insert("Attributes".into(), Value::Object(attrs));
    }
    let tags = pairs("Tag", "Key", "Value")?;
    if !tags.is_empty() {
        out.insert(if action == "CreateQueue" { "tags" } else { "Tags" }.into(), Value::Object(tags));
    }
    for (prefix, key) in [
        ("TagKey", "TagKeys"),
        ("AttributeName", "AttributeNames"),
        ("MessageSystemAttributeName", "MessageSystemAttributeNames"),
        ("MessageAttributeName", "MessageAttributeNames"),
    ] {
        let list: Vec<Value> =
            form.indexed(prefix).map_err(bad)?.into_iter().filter_map(|e| e.get("").map(|s| s.into())).collect();
        if !list.is_empty() {
            out.insert(key.into(), Value::Array(list));
        }
    }
    for (prefix, key) in
        [("MessageAttribute", "MessageAttributes"), ("MessageSystemAttribute", "MessageSystemAttributes")]
    {
        let mut map = Map::new();
        for e in form.indexed(prefix).map_err(bad)? {
            let Some(name) = e.get("Name") else { continue };
            let mut value = Map::new();
            for field in ["DataType", "StringValue", "BinaryValue"] {
                if let Some(v) = e.get(&format!("Value.{field}")) {
                    value.insert(field.into(), Value::String(v.to_owned()));
                }
            }
            map.insert(name.to_owned(), Value::Object(value));
        }
        if !map.is_empty() {
            out.insert(key.into(), Value::Object(map));
        }
    }
    for prefix in
        ["SendMessageBatchRequestEntry", "DeleteMessageBatchRequestEntry", "ChangeMessageVisibilityBatchRequestEntry"]
    {
        let entries = form.indexed(prefix).map_err(bad)?;
        if !entries.is_empty() {
            let list = entries.iter().map(|e| to_json(e, action).map(Value::Object)).collect::<Result<_, _>>()?;
            out.insert("Entries".into(), Value::Array(list));
        }
    }
    Ok(out)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes a JSON answer as query-protocol XML.
fn to_xml(x: &mut Xml, action: &str, v: &Map<String, Value>) {
    for (k, v) in v {
        match (k.as_str(), v) {
            ("Attributes", Value::Object(m)) => {
                for (name, value) in m {
                    x.open("Attribute").leaf("Name", name).leaf("Value", &scalar(value)).close("Attribute");
                }
            }
            ("Tags", Value::Object(m)) => {
                for (key, value) in m {
                    x.open("Tag").leaf("Key", key).leaf("Value", &scalar(value)).close("Tag");
                }
            }
            ("QueueUrls" | "queueUrls", Value::Array(a)) => {
                for u in a {
                    x.leaf("QueueUrl", &scalar(u));
                }
            }
            ("MessageAttributes", Value::Object(m)) => {
                for (name, value) in m {
                    x.open("MessageAttribute").leaf("Name", name).open("Value");
                    if let Value::Object(fields) = value {
                        for (f, fv) in fields {
                            x.leaf(f, &scalar(fv));
                        }
                    }
                    x.close("Value").close("MessageAttribute");
                }
            }
            (list @ ("Messages" | "Successful" | "Failed"), Value::Array(a)) => {
                let tag = match list {
                    "Messages" => "Message".to_owned(),
                    "Failed" => "BatchResultErrorEntry".to_owned(),
                    _ => format!("{action}ResultEntry"),
                };
                for item in a {
                    x.open(&tag);
                    if let Value::Object(m) = item {
                        to_xml(x, action, m);
                    }
                    x.close(&tag);
                }
            }
            (_, value) => {
                x.leaf(k, &scalar(value));
            }
        }
    }
}

fn error_response(e: &SqsError, request_id: &str) -> Response {
    let mut out = format!("<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>");
    out.push_str(if e.sender { "Sender" } else { "Receiver" });
    out.push_str("</Type><Code>");
    escape(e.code, &mut out);
    out.push_str("</Code><Message>");
    escape(&e.message, &mut out);
    out.push_str("</Message><Detail/></Error><RequestId>");
    escape(request_id, &mut out);
    out.push_str("</RequestId></ErrorResponse>");
    respond(e.status, out, request_id)
}

/// Answers one query-protocol SQS request; `path` is the request path (older SDKs send the queue
/// URL's path instead of a `QueueUrl` parameter).
pub(crate) async fn handle(
    svc: &Service,
    action: &str,
    form: &Form,
    path: &str,
    base_url: &str,
    request_id: &str,
) -> Response {
    let result = async {
        let mut json = to_json(form, action)?;
        if !json.contains_key("QueueUrl") && path.trim_matches('/').contains('/') {
            json.insert("QueueUrl".into(), Value::String(format!("{base_url}{path}")));
        }
        let input = Input::parse(Value::Object(json).to_string().as_bytes())?;
        dispatch(&Ctx { svc, base_url }, action, &format!("AmazonSQS.{action}"), &input).await
    }
    .await;
    match result {
        Ok(Value::Object(m)) => {
            let mut x = Xml::default();
            to_xml(&mut x, action, &m);
            let mut out = format!("<{action}Response xmlns=\"{NAMESPACE}\">");
            out.push_str(&format!("<{action}Result>"));
            out.push_str(x.as_str());
            out.push_str(&format!("</{action}Result><ResponseMetadata><RequestId>"));
            escape(request_id, &mut out);
            out.push_str(&format!("</RequestId></ResponseMetadata></{action}Response>"));
            respond(StatusCode::OK, out, request_id)
        }
        Ok(_) => error_response(&SqsError::serialization("unexpected answer"), request_id),
        Err(e) => {
            tracing::debug!(action, code = e.code, message = %e.message, "SQS query request failed");
            error_response(&e, request_id)
        }
    }
}
