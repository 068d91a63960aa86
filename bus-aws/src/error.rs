//! Mapping of AWS SDK errors to [`BusError`].
//!
//! Well-known service errors become the typed variants a caller can match on (`QueueNotFound` for SQS
//! `NonExistentQueue`, `TopicNotFound` for SNS `NotFound`, `InvalidParameter`, ...). Everything else,
//! throttling that outlived the SDK's retries, timeouts and I/O failures included, becomes
//! [`BusError::Backend`] with the service, the error code, the request id and the original error as source.

use aws_sdk_sqs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sqs::operation::RequestId;
use bus_core::BusError;

/// Which service a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    Sns,
    Sqs,
}

impl Service {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Service::Sns => "sns",
            Service::Sqs => "sqs",
        }
    }
}

/// What the failed call was about, so that "not found" errors name the right resource.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    /// A topic, by name or ARN.
    Topic(&'a str),
    /// A queue, by name or URL.
    Queue(&'a str),
    /// A receipt handle.
    Receipt(&'a str),
    /// Anything else (subscriptions, listings).
    Other,
}

/// Maps an SDK error of either service to a [`BusError`].
pub(crate) fn map_sdk_error<E, R>(service: Service, subject: Subject<'_>, err: SdkError<E, R>) -> BusError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    SdkError<E, R>: RequestId,
{
    let code = err.code().map(str::to_owned);
    let message = err.message().map(str::to_owned);
    let request_id = err.request_id().map(str::to_owned);
    if let Some(mapped) = typed_error(service, subject, code.as_deref(), message.as_deref()) {
        tracing::debug!(
            service = service.as_str(),
            code = code.as_deref().unwrap_or(""),
            request_id = request_id.as_deref().unwrap_or(""),
            "AWS error mapped to {mapped:?}"
        );
        return mapped;
    }
    let description = match (&message, &err) {
        (Some(m), _) => m.clone(),
        (None, SdkError::TimeoutError(_)) => "request timed out".to_owned(),
        (None, SdkError::DispatchFailure(_)) => "request could not be sent (connection failure)".to_owned(),
        (None, SdkError::ResponseError(_)) => "response could not be read".to_owned(),
        (None, SdkError::ConstructionFailure(_)) => "request could not be built".to_owned(),
        (None, _) => aws_sdk_sqs::error::DisplayErrorContext(&err).to_string(),
    };
    BusError::Backend { service: service.as_str(), code, request_id, message: description, source: Some(Box::new(err)) }
}

/// The typed variant for a well-known error code, if there is one.
pub(crate) fn typed_error(
    service: Service,
    subject: Subject<'_>,
    code: Option<&str>,
    message: Option<&str>,
) -> Option<BusError> {
    let code = code?;
    let reason = message.unwrap_or(code).to_owned();
    let named = |s: Subject<'_>| match s {
        Subject::Topic(n) | Subject::Queue(n) | Subject::Receipt(n) => n.to_owned(),
        Subject::Other => reason.clone(),
    };
    let short = code.strip_prefix("AWS.SimpleQueueService.").unwrap_or(code);
    Some(match (service, short) {
        (Service::Sqs, "NonExistentQueue" | "QueueDoesNotExist") => BusError::QueueNotFound(named(subject)),
        (Service::Sns, "NotFound") => match subject {
            Subject::Topic(t) => BusError::TopicNotFound(t.to_owned()),
            _ => return None,
        },
        (Service::Sqs, "ReceiptHandleIsInvalid") => BusError::ReceiptHandleInvalid(named(subject)),
        (Service::Sqs, "MessageNotInflight") => BusError::MessageNotInflight(named(subject)),
        (Service::Sqs, "PurgeQueueInProgress") => BusError::PurgeInProgress(named(subject)),
        (Service::Sqs, "QueueAlreadyExists" | "QueueNameExists") => {
            BusError::AlreadyExists { kind: "queue", name: named(subject), reason }
        }
        (Service::Sns, "InvalidParameter") if parameter_name(&reason) == Some("Subject") => {
            BusError::InvalidSubject { reason }
        }
        (_, "EmptyBatchRequest") => BusError::EmptyBatch,
        (_, "BatchEntryIdsNotDistinct") => BusError::BatchEntryIdsNotDistinct { id: reason },
        (_, "InvalidParameter" | "InvalidParameterValue" | "InvalidAttributeValue" | "InvalidAttributeName")
        | (_, "MissingParameter" | "InvalidMessageContents" | "InvalidBatchEntryId") => {
            BusError::InvalidParameter { name: parameter_name(&reason).unwrap_or(short).to_owned(), reason }
        }
        _ => return None,
    })
}

/// AWS's reason texts name the parameter as `Invalid parameter: Name Reason: ...`; pick it out.
fn parameter_name(reason: &str) -> Option<&str> {
    let rest = reason.strip_prefix("Invalid parameter: ")?;
    let name = rest.split([' ', ':']).next()?;
    (!name.is_empty()).then_some(name)
}

/// A [`BusError`] from an entry of a batch result (`BatchResultErrorEntry`), for callers of the
/// auto-batching publisher who get one result per message.
pub(crate) fn entry_error(service: Service, subject: Subject<'_>, code: &str, message: &str) -> BusError {
    typed_error(service, subject, Some(code), Some(message)).unwrap_or_else(|| BusError::Backend {
        service: service.as_str(),
        code: Some(code.to_owned()),
        request_id: None,
        message: message.to_owned(),
        source: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqs_codes_map_to_typed_variants_in_both_spellings() {
        for code in ["AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"] {
            let e = typed_error(Service::Sqs, Subject::Queue("q1"), Some(code), Some("gone")).unwrap();
            assert!(matches!(e, BusError::QueueNotFound(ref q) if q == "q1"), "{code}: {e:?}");
        }
        let e = typed_error(Service::Sqs, Subject::Receipt("h"), Some("ReceiptHandleIsInvalid"), None).unwrap();
        assert!(matches!(e, BusError::ReceiptHandleInvalid(ref h) if h == "h"));
        let e =
            typed_error(Service::Sqs, Subject::Receipt("h"), Some("AWS.SimpleQueueService.MessageNotInflight"), None);
        assert!(matches!(e, Some(BusError::MessageNotInflight(_))));
        let e =
            typed_error(Service::Sqs, Subject::Queue("q"), Some("AWS.SimpleQueueService.PurgeQueueInProgress"), None);
        assert!(matches!(e, Some(BusError::PurgeInProgress(_))));
        let e = typed_error(Service::Sqs, Subject::Queue("q"), Some("QueueAlreadyExists"), Some("differs"));
        assert!(matches!(e, Some(BusError::AlreadyExists { kind: "queue", .. })));
    }

    #[test]
    fn sns_not_found_is_topic_not_found_only_for_topics() {
        let e = typed_error(Service::Sns, Subject::Topic("events"), Some("NotFound"), Some("Topic does not exist"));
        assert!(matches!(e, Some(BusError::TopicNotFound(ref t)) if t == "events"));
        assert!(typed_error(Service::Sns, Subject::Other, Some("NotFound"), None).is_none());
    }

    #[test]
    fn invalid_parameter_keeps_aws_reason_and_parameter_name() {
        let reason = "Invalid parameter: FilterPolicy: Unrecognized match type wildcard";
        let e = typed_error(Service::Sns, Subject::Other, Some("InvalidParameter"), Some(reason)).unwrap();
        match e {
            BusError::InvalidParameter { name, reason: r } => {
                assert_eq!(name, "FilterPolicy");
                assert_eq!(r, reason);
            }
            other => panic!("unexpected {other:?}"),
        }
        let e = typed_error(Service::Sqs, Subject::Other, Some("InvalidParameterValue"), Some("bad value")).unwrap();
        assert!(matches!(e, BusError::InvalidParameter { ref name, .. } if name == "InvalidParameterValue"));
    }

    #[test]
    fn sns_subject_errors_are_typed() {
        let e = typed_error(Service::Sns, Subject::Other, Some("InvalidParameter"), Some("Invalid parameter: Subject"));
        assert!(matches!(e, Some(BusError::InvalidSubject { ref reason }) if reason == "Invalid parameter: Subject"));
        let e = entry_error(Service::Sns, Subject::Topic("t"), "InvalidParameter", "Invalid parameter: Subject");
        assert!(matches!(e, BusError::InvalidSubject { .. }));
        assert_eq!(e.aws_code(), "InvalidParameter");
    }

    #[test]
    fn unknown_codes_stay_backend_errors_with_their_code() {
        assert!(typed_error(Service::Sqs, Subject::Other, Some("ThrottlingException"), None).is_none());
        let e = entry_error(Service::Sns, Subject::Topic("t"), "InternalError", "boom");
        assert!(matches!(e, BusError::Backend { service: "sns", code: Some(ref c), .. } if c == "InternalError"));
        assert!(e.is_transient());
    }
}
