//! Request checks with AWS's rules, beyond those of `bus-core`'s [`Message::validate`].

use bus_core::limits;
use bus_core::{BusError, Message};

/// Checks a message published to an SNS topic: non-empty body, subject, attributes, 256 KiB.
pub(crate) fn sns_message(message: &Message) -> Result<(), BusError> {
    if message.body.is_empty() {
        return Err(BusError::invalid_parameter("Message", "Empty message"));
    }
    message.validate(limits::SNS_MAX_MESSAGE_BYTES)
}

/// Checks a message sent to an SQS queue: no SNS subject, non-empty body of allowed characters,
/// attributes, 1 MiB (see [`Message::validate_for_queue`]).
pub(crate) fn sqs_message(message: &Message) -> Result<(), BusError> {
    if message.body.is_empty() {
        return Err(BusError::invalid_parameter("MessageBody", "the message body must be at least 1 character"));
    }
    if let Some(c) = message.body.chars().find(|&c| !sqs_char(c)) {
        return Err(BusError::invalid_parameter(
            "MessageBody",
            format!(
                "invalid character U+{:04X}: only #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF are allowed",
                u32::from(c)
            ),
        ));
    }
    // SQS types are String, Number and Binary with optional custom labels, so `String.Array` is a
    // `String` labelled `Array` there: accepted and passed through.
    message.validate_for_queue()
}

fn sqs_char(c: char) -> bool {
    matches!(u32::from(c), 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// Checks a batch's entry ids exactly as [`bus_core::backend::validate_batch_ids`] does (1-10 entries,
/// distinct well-formed ids, the same errors), without a hash set: with at most 10 ids, comparing pairs is
/// cheaper.
pub(crate) fn batch_ids<'a>(ids: impl ExactSizeIterator<Item = &'a str> + Clone) -> Result<(), BusError> {
    let n = ids.len();
    let well_formed = |id: &str| {
        !id.is_empty()
            && id.len() <= limits::MAX_BATCH_ID_LEN
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if (1..=limits::MAX_BATCH_ENTRIES).contains(&n) && ids.clone().all(well_formed) {
        let distinct = ids.clone().enumerate().all(|(i, a)| ids.clone().skip(i + 1).all(|b| a != b));
        if distinct {
            return Ok(());
        }
    }
    bus_core::backend::validate_batch_ids(ids)
}

/// Checks a `MessageGroupId` / `MessageDeduplicationId`: 1-128 characters of `a-zA-Z0-9` and punctuation.
pub(crate) fn fifo_id(param: &'static str, id: &str) -> Result<(), BusError> {
    if id.is_empty() || id.len() > limits::MAX_FIFO_ID_LEN || !id.bytes().all(|b| (33..=126).contains(&b)) {
        return Err(BusError::invalid_parameter(
            param,
            format!("{param} must be 1-128 characters of a-z A-Z 0-9 and punctuation, got {id:?}"),
        ));
    }
    Ok(())
}

/// The FIFO fields of a publish or send. `kind` names the target (`topic`/`queue`) for error texts.
/// Returns the deduplication id to use (explicit, or content-based when `content_based`).
pub(crate) fn fifo_fields(
    message: &Message,
    fifo: bool,
    content_based: bool,
    kind: &'static str,
) -> Result<Option<String>, BusError> {
    if let Some(g) = &message.group_id {
        fifo_id("MessageGroupId", g)?;
    }
    if let Some(d) = &message.deduplication_id {
        fifo_id("MessageDeduplicationId", d)?;
    }
    if !fifo {
        if message.deduplication_id.is_some() {
            return Err(BusError::invalid_parameter(
                "MessageDeduplicationId",
                format!("the parameter MessageDeduplicationId is only valid for FIFO {kind}s"),
            ));
        }
        return Ok(None);
    }
    if message.group_id.is_none() {
        return Err(BusError::invalid_parameter(
            "MessageGroupId",
            format!("the parameter MessageGroupId is required for FIFO {kind}s"),
        ));
    }
    match &message.deduplication_id {
        Some(d) => Ok(Some(d.clone())),
        None if content_based => Ok(Some(crate::dedup::content_id(&message.body))),
        None => Err(BusError::invalid_parameter(
            "MessageDeduplicationId",
            format!(
                "the FIFO {kind} should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bus_core::AttributeValue;

    #[test]
    fn sns_and_sqs_rules() {
        assert!(matches!(sns_message(&Message::new("")), Err(BusError::InvalidParameter { .. })));
        assert!(matches!(sqs_message(&Message::new("a\u{1}b")), Err(BusError::InvalidParameter { .. })));
        let arr = Message::new("x").with_attribute("a", AttributeValue::string_array(["1"]));
        assert!(sns_message(&arr).is_ok());
        assert!(sqs_message(&arr).is_ok(), "a String with the custom label Array on SQS");
        let big = Message::new("x".repeat(limits::SNS_MAX_MESSAGE_BYTES + 1));
        assert!(matches!(sns_message(&big), Err(BusError::PayloadTooLarge { .. })));
        assert!(sqs_message(&big).is_ok());
        let titled = Message::new("x").with_subject("s");
        assert!(sns_message(&titled).is_ok());
        assert!(matches!(sqs_message(&titled), Err(BusError::InvalidSubject { .. })), "SQS has no subject");
        let bad = Message::new("x").with_subject("a\nb");
        assert!(matches!(sns_message(&bad), Err(BusError::InvalidSubject { .. })));
    }

    #[test]
    fn batch_ids_agree_with_bus_core() {
        let cases: Vec<Vec<&str>> = vec![
            vec![],
            vec!["a"],
            vec!["a", "b", "a"],
            vec!["ok", "not ok"],
            (0..11).map(|_| "x").collect(),
            vec!["a-1", "B_2", "c3"],
        ];
        for ids in cases {
            let mine = batch_ids(ids.iter().copied()).map_err(|e| e.to_string());
            let theirs = bus_core::backend::validate_batch_ids(ids.iter().copied()).map_err(|e| e.to_string());
            assert_eq!(mine, theirs, "{ids:?}");
        }
    }

    #[test]
    fn fifo_rules() {
        let plain = Message::new("b");
        assert_eq!(fifo_fields(&plain, false, false, "topic").unwrap(), None);
        let dedup = plain.clone().with_deduplication_id("d");
        assert!(fifo_fields(&dedup, false, false, "queue").is_err());
        assert!(fifo_fields(&plain, true, true, "queue").is_err(), "group id required");
        let grouped = plain.clone().with_group_id("g");
        assert!(fifo_fields(&grouped, true, false, "queue").is_err(), "dedup id required");
        assert_eq!(fifo_fields(&grouped, true, true, "queue").unwrap().unwrap().len(), 64);
        let both = grouped.with_deduplication_id("d1");
        assert_eq!(fifo_fields(&both, true, true, "queue").unwrap().as_deref(), Some("d1"));
        assert!(fifo_fields(&Message::new("b").with_group_id("sp ace"), true, true, "topic").is_err());
        assert!(fifo_fields(&Message::new("b").with_group_id("g".repeat(129)), true, true, "topic").is_err());
    }
}
