//! The event a verified webhook becomes, and how to get its raw body back.
//!
//! The published body is the event JSON `{"type": T, "data": D}`. When the webhook body is JSON, it is
//! spliced in as `D` byte for byte (it is valid JSON, so the result is too): `data` parses to the payload,
//! and the exact signed bytes stay recoverable with [`raw_payload`] (for example to verify the signature
//! again from the archive). When the body is not JSON (generic sources only), `D` is the body as a JSON
//! string. The `webhook-content` attribute says which (`json` or `text`).

use std::borrow::Cow;

use bus_core::{Event, Message, EVENT_TYPE_ATTRIBUTE};

/// The attribute naming the webhook source (`stripe`, `github`, ...).
pub const SOURCE_ATTRIBUTE: &str = "webhook-source";
/// The attribute carrying the webhook's id (Stripe's event `id`, or a generic source's id header).
pub const WEBHOOK_ID_ATTRIBUTE: &str = "webhook-id";
/// The attribute saying how the raw body sits in `data`: `json` (spliced as is) or `text` (a JSON string).
pub const CONTENT_ATTRIBUTE: &str = "webhook-content";

/// `{"type":<event_type>,"data":` as serde_json writes it.
fn prefix(event_type: &str) -> String {
    let quoted = serde_json::Value::String(event_type.to_owned()).to_string();
    format!("{{\"type\":{quoted},\"data\":")
}

/// Builds the message for a verified webhook. `json` says whether `raw` is valid JSON (checked by the
/// caller); when it is not, `raw` must still be text.
pub(crate) fn webhook_message(event_type: &str, source: &str, raw: &str, json: bool, id: Option<&str>) -> Message {
    let body = if json {
        let mut body = prefix(event_type);
        body.push_str(raw);
        body.push('}');
        body
    } else {
        serde_json::to_string(&Event::new(event_type, raw)).expect("a string event always serialises")
    };
    let mut message = Message::new(body)
        .with_attribute(EVENT_TYPE_ATTRIBUTE, event_type)
        .with_attribute(SOURCE_ATTRIBUTE, source)
        .with_attribute(CONTENT_ATTRIBUTE, if json { "json" } else { "text" });
    if let Some(id) = id {
        message = message.with_attribute(WEBHOOK_ID_ATTRIBUTE, id);
    }
    message
}

/// The raw webhook body of a message this crate published, exactly as received; `None` if the message
/// is not one of them.
///
/// ```
/// use bus_core::Message;
/// // A message that did not come through the ingress has no raw webhook body.
/// assert!(bus_webhook::raw_payload(&Message::new("{}")).is_none());
/// ```
///
/// The crate docs show a whole round trip through the router.
pub fn raw_payload(message: &Message) -> Option<Cow<'_, str>> {
    let content = message.attributes.get(CONTENT_ATTRIBUTE)?.as_str()?;
    let event_type = message.attributes.get(EVENT_TYPE_ATTRIBUTE)?.as_str()?;
    match content {
        "json" => {
            let rest = message.body.strip_prefix(prefix(event_type).as_str())?;
            rest.strip_suffix('}').map(Cow::Borrowed)
        }
        "text" => match Event::from_body(&message.body).ok()?.data {
            serde_json::Value::String(s) => Some(Cow::Owned(s)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bodies_are_spliced_byte_for_byte() {
        let raw = "{\n  \"id\": \"evt_1\",\n  \"amount\": 1.50\n}\n";
        let m = webhook_message("STRIPE_INCOMING_WEBHOOK", "stripe", raw, true, Some("evt_1"));
        let event = Event::from_body(&m.body).unwrap();
        assert_eq!(event.event_type, "STRIPE_INCOMING_WEBHOOK");
        assert_eq!(event.data["id"], "evt_1");
        assert_eq!(raw_payload(&m).as_deref(), Some(raw));
        assert_eq!(m.attributes[WEBHOOK_ID_ATTRIBUTE].as_str(), Some("evt_1"));
        assert_eq!(m.attributes[EVENT_TYPE_ATTRIBUTE].as_str(), Some("STRIPE_INCOMING_WEBHOOK"));
    }

    #[test]
    fn text_bodies_become_a_json_string() {
        let raw = "a=1&b=\"two\"";
        let m = webhook_message("FORM_INCOMING_WEBHOOK", "form", raw, false, None);
        assert_eq!(Event::from_body(&m.body).unwrap().data, serde_json::json!(raw));
        assert_eq!(raw_payload(&m).as_deref(), Some(raw));
        assert!(!m.attributes.contains_key(WEBHOOK_ID_ATTRIBUTE));
    }

    #[test]
    fn event_types_with_quotes_are_escaped() {
        let m = webhook_message("A\"B", "s", "[1]", true, None);
        assert_eq!(Event::from_body(&m.body).unwrap().event_type, "A\"B");
        assert_eq!(raw_payload(&m).as_deref(), Some("[1]"));
    }
}
