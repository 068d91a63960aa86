//! SNS errors as the query protocol sends them:
//! `<ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message></Error><RequestId>`.

use axum::http::StatusCode;
use axum::response::Response;
use bus_core::filter::FilterError;
use bus_core::BusError;

use super::xml::{escape, respond, NAMESPACE};

/// One SNS error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnsError {
    /// The error code (`InvalidParameter`, `NotFound`, ...).
    pub code: &'static str,
    /// The message.
    pub message: String,
    /// The HTTP status.
    pub status: StatusCode,
    /// `Sender` (the caller's fault) or `Receiver`.
    pub sender: bool,
}

impl SnsError {
    fn new(code: &'static str, status: StatusCode, message: impl Into<String>) -> Self {
        SnsError { code, message: message.into(), status, sender: true }
    }

    /// `InvalidParameter` (400).
    pub(crate) fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new("InvalidParameter", StatusCode::BAD_REQUEST, message)
    }

    /// `ParameterValueInvalid` (400): a bad message attribute.
    pub(crate) fn invalid_value(message: impl Into<String>) -> Self {
        Self::new("ParameterValueInvalid", StatusCode::BAD_REQUEST, message)
    }

    /// `NotFound` (404).
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new("NotFound", StatusCode::NOT_FOUND, message)
    }

    /// `NotFound` for a topic.
    pub(crate) fn topic_not_found() -> Self {
        Self::not_found("Topic does not exist")
    }

    /// `ResourceNotFound` (404), for tag calls.
    pub(crate) fn resource_not_found() -> Self {
        Self::new("ResourceNotFound", StatusCode::NOT_FOUND, "Resource does not exist")
    }

    /// A request that is not a valid query string.
    pub(crate) fn malformed(message: impl Into<String>) -> Self {
        Self::new("MalformedQueryString", StatusCode::BAD_REQUEST, message)
    }

    /// No `Action` parameter.
    pub(crate) fn missing_action() -> Self {
        Self::new("MissingAction", StatusCode::BAD_REQUEST, "Missing Action")
    }

    /// An `Action` that neither SNS nor SQS has.
    pub(crate) fn invalid_action(action: &str) -> Self {
        Self::new(
            "InvalidAction",
            StatusCode::BAD_REQUEST,
            format!("The action {action} is not valid for this endpoint."),
        )
    }

    /// An SNS action this server does not implement (SMS, platform applications, ...).
    pub(crate) fn unsupported(action: &str) -> Self {
        Self::new("InvalidAction", StatusCode::BAD_REQUEST, format!("{action} is not supported by bus serve."))
    }

    /// The request body is larger than the server accepts.
    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            "RequestEntityTooLarge",
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Request body must be at most {limit} bytes."),
        )
    }

    /// A filter-policy error: `Invalid parameter: FilterPolicy: <reason>` (or, for `Subscribe`,
    /// `Invalid parameter: Attributes Reason: FilterPolicy: <reason>`).
    pub(crate) fn filter(e: &FilterError, subscribe: bool) -> Self {
        if !e.is_invalid_parameter() {
            return SnsError {
                sender: false,
                ..Self::new("InternalError", StatusCode::INTERNAL_SERVER_ERROR, e.aws_message())
            };
        }
        let full = e.aws_message();
        let message = match (subscribe, full.strip_prefix("Invalid parameter: ")) {
            (true, Some(rest)) => format!("Invalid parameter: Attributes Reason: {rest}"),
            _ => full,
        };
        Self::invalid_parameter(message)
    }

    /// The error SNS answers for an engine error.
    pub(crate) fn from_bus(err: &BusError) -> Self {
        match err {
            BusError::TopicNotFound(_) => Self::topic_not_found(),
            BusError::InvalidFilterPolicy(e) => Self::filter(e, false),
            BusError::PayloadTooLarge { .. } => Self::invalid_parameter("Invalid parameter: Message too long"),
            BusError::InvalidSubject { .. } => Self::invalid_parameter("Invalid parameter: Subject"),
            BusError::InvalidParameter { name, reason } if name == "Message" => {
                Self::invalid_parameter(format!("Invalid parameter: {reason}"))
            }
            BusError::InvalidParameter { name, .. } if name == "Id" => Self::new(
                "InvalidBatchEntryId",
                StatusCode::BAD_REQUEST,
                "The Id of a batch entry in a batch request doesn't abide by the specification.",
            ),
            BusError::InvalidParameter { reason, .. } if reason.starts_with("FilterPolicyLimitExceeded") => {
                Self::new("FilterPolicyLimitExceeded", StatusCode::FORBIDDEN, "Filter policy limit exceeded")
            }
            BusError::InvalidParameter { name, reason } => {
                Self::invalid_parameter(format!("Invalid parameter: {name} Reason: {reason}"))
            }
            BusError::InvalidAttribute { name, reason } => {
                Self::invalid_value(format!("The message attribute '{name}' is invalid: {reason}"))
            }
            BusError::TooManyAttributes { actual, limit } => Self::invalid_value(format!(
                "Number of message attributes [{actual}] exceeds the allowed maximum [{limit}]."
            )),
            BusError::EmptyBatch => {
                Self::new("EmptyBatchRequest", StatusCode::BAD_REQUEST, "The batch request doesn't contain any entries")
            }
            BusError::TooManyEntriesInBatch { .. } => Self::new(
                "TooManyEntriesInBatchRequest",
                StatusCode::BAD_REQUEST,
                "The batch request contains more entries than permissible",
            ),
            BusError::BatchEntryIdsNotDistinct { .. } => Self::new(
                "BatchEntryIdsNotDistinct",
                StatusCode::BAD_REQUEST,
                "Two or more batch entries in the request have the same Id",
            ),
            BusError::BatchRequestTooLong { .. } => Self::new(
                "BatchRequestTooLong",
                StatusCode::BAD_REQUEST,
                "The length of all the batch messages put together is more than the limit",
            ),
            BusError::AlreadyExists { kind, .. } => {
                let what = if *kind == "topic" { "Topic" } else { "Subscription" };
                Self::invalid_parameter(format!(
                    "Invalid parameter: Attributes Reason: {what} already exists with different attributes"
                ))
            }
            other => SnsError {
                sender: false,
                ..Self::new("InternalError", StatusCode::INTERNAL_SERVER_ERROR, other.to_string())
            },
        }
    }

    /// The XML response.
    pub(crate) fn response(&self, request_id: &str) -> Response {
        let mut out = format!("<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>");
        out.push_str(if self.sender { "Sender" } else { "Receiver" });
        out.push_str("</Type><Code>");
        out.push_str(self.code);
        out.push_str("</Code><Message>");
        escape(&self.message, &mut out);
        out.push_str("</Message></Error><RequestId>");
        escape(request_id, &mut out);
        out.push_str("</RequestId></ErrorResponse>");
        respond(self.status, out, request_id)
    }
}

impl From<BusError> for SnsError {
    fn from(e: BusError) -> Self {
        SnsError::from_bus(&e)
    }
}
