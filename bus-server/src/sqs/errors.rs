//! SQS errors as the JSON protocol sends them: status 400, `{"__type": "com.amazonaws.sqs#<Shape>",
//! "message": ...}`, and the `x-amzn-query-error: <code>;Sender` header that query-compatible SDKs read
//! as the error code (`AWS.SimpleQueueService.NonExistentQueue`).

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bus_core::BusError;

use super::json::JSON_CONTENT_TYPE;

/// One SQS error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqsError {
    /// The query-protocol code (`AWS.SimpleQueueService.NonExistentQueue`, `InvalidParameterValue`).
    pub code: &'static str,
    /// The shape name after `com.amazonaws.sqs#` in `__type` (`QueueDoesNotExist`).
    pub shape: &'static str,
    /// The human-readable message.
    pub message: String,
    /// The HTTP status.
    pub status: StatusCode,
    /// Whether the caller is at fault (`Sender`) rather than the server (`Receiver`).
    pub sender: bool,
}

impl SqsError {
    fn new(code: &'static str, shape: &'static str, message: impl Into<String>) -> Self {
        SqsError { code, shape, message: message.into(), status: StatusCode::BAD_REQUEST, sender: true }
    }

    /// `AWS.SimpleQueueService.NonExistentQueue`.
    pub(crate) fn queue_not_found() -> Self {
        Self::new("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "The specified queue does not exist.")
    }

    /// `MissingParameter`: a required parameter is absent.
    pub(crate) fn missing(param: &str) -> Self {
        Self::new("MissingParameter", "MissingParameter", format!("The request must contain the parameter {param}."))
    }

    /// `InvalidParameterValue` with a message.
    pub(crate) fn invalid_value(message: impl Into<String>) -> Self {
        Self::new("InvalidParameterValue", "InvalidParameterValue", message)
    }

    /// `InvalidParameterValue` for a parameter out of range.
    pub(crate) fn invalid_param(param: &str, value: impl std::fmt::Display, reason: &str) -> Self {
        Self::invalid_value(format!("Value {value} for parameter {param} is invalid. Reason: {reason}"))
    }

    /// `InvalidAttributeName`.
    pub(crate) fn invalid_attribute_name(name: &str) -> Self {
        Self::new("InvalidAttributeName", "InvalidAttributeName", format!("Unknown Attribute {name}."))
    }

    /// `InvalidAttributeValue`.
    pub(crate) fn invalid_attribute_value(name: &str, reason: Option<&str>) -> Self {
        let message = match reason {
            Some(r) => format!("Invalid value for the parameter {name}. Reason: {r}"),
            None => format!("Invalid value for the parameter {name}."),
        };
        Self::new("InvalidAttributeValue", "InvalidAttributeValue", message)
    }

    /// A request body that is not the JSON object of an SQS request.
    pub(crate) fn serialization(message: impl Into<String>) -> Self {
        Self::new("SerializationException", "SerializationException", message)
    }

    /// `X-Amz-Target` names no SQS action.
    pub(crate) fn unknown_action(target: &str) -> Self {
        Self::new(
            "InvalidAction",
            "UnknownOperationException",
            format!("The action or operation requested is invalid: {target}."),
        )
    }

    /// The request body is larger than the server accepts.
    pub(crate) fn too_large(limit: usize) -> Self {
        SqsError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            ..Self::new(
                "RequestEntityTooLarge",
                "RequestEntityTooLarge",
                format!("Request body must be at most {limit} bytes."),
            )
        }
    }

    /// `QueueAlreadyExists`.
    pub(crate) fn queue_exists(message: impl Into<String>) -> Self {
        Self::new("QueueAlreadyExists", "QueueNameExists", message)
    }

    /// `AWS.SimpleQueueService.UnsupportedOperation`.
    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::new("AWS.SimpleQueueService.UnsupportedOperation", "UnsupportedOperation", message)
    }

    /// The error SQS answers for an engine error.
    pub(crate) fn from_bus(err: &BusError) -> Self {
        match err {
            BusError::QueueNotFound(_) => Self::queue_not_found(),
            BusError::AlreadyExists { reason, .. } => Self::queue_exists(format!(
                "A queue already exists with the same name and a different value for attribute(s): {reason}"
            )),
            BusError::ReceiptHandleInvalid(h) => Self::new(
                "ReceiptHandleIsInvalid",
                "ReceiptHandleIsInvalid",
                format!("The input receipt handle is not a valid receipt handle: {h}"),
            ),
            BusError::MessageNotInflight(m) => Self::new(
                "AWS.SimpleQueueService.MessageNotInflight",
                "MessageNotInflight",
                format!("Message does not exist or is not available for visibility timeout change: {m}"),
            ),
            BusError::PurgeInProgress(q) => Self::new(
                "AWS.SimpleQueueService.PurgeQueueInProgress",
                "PurgeQueueInProgress",
                format!("Only one PurgeQueue operation on {q} is allowed every 60 seconds."),
            ),
            BusError::EmptyBatch => Self::new(
                "AWS.SimpleQueueService.EmptyBatchRequest",
                "EmptyBatchRequest",
                "There should be at least one entry in the request.",
            ),
            BusError::TooManyEntriesInBatch { actual, limit } => Self::new(
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                "TooManyEntriesInBatchRequest",
                format!("Maximum number of entries per request are {limit}. You have sent {actual}."),
            ),
            BusError::BatchEntryIdsNotDistinct { id } => Self::new(
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                "BatchEntryIdsNotDistinct",
                format!("Id {id} repeated."),
            ),
            BusError::BatchRequestTooLong { actual, limit } => Self::new(
                "AWS.SimpleQueueService.BatchRequestTooLong",
                "BatchRequestTooLong",
                format!("Batch requests cannot be longer than {limit} bytes. You have sent {actual} bytes."),
            ),
            BusError::InvalidParameter { name, reason } if name == "Id" => {
                Self::new("AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId", reason.clone())
            }
            BusError::InvalidParameter { name, reason }
                if name == "MessageBody" && reason.contains("invalid character") =>
            {
                Self::new(
                    "InvalidMessageContents",
                    "InvalidMessageContents",
                    format!("Invalid characters found. {reason}"),
                )
            }
            BusError::PayloadTooLarge { limit, .. } => Self::invalid_value(format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {limit} bytes."
            )),
            BusError::InvalidParameter { name, reason } => {
                Self::invalid_value(format!("Value for parameter {name} is invalid. Reason: {reason}"))
            }
            BusError::InvalidAttribute { name, reason } => {
                Self::invalid_value(format!("Message attribute '{name}' is invalid. Reason: {reason}"))
            }
            BusError::TooManyAttributes { actual, limit } => Self::invalid_value(format!(
                "Number of message attributes [{actual}] exceeds the allowed maximum [{limit}]."
            )),
            other => SqsError {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                sender: false,
                ..Self::new("InternalError", "InternalError", other.to_string())
            },
        }
    }

    /// The response, with the request id header.
    pub(crate) fn response(&self, request_id: &str) -> Response {
        let body = serde_json::json!({
            "__type": format!("com.amazonaws.sqs#{}", self.shape),
            "message": self.message,
        });
        let mut r = (self.status, body.to_string()).into_response();
        let h = r.headers_mut();
        h.insert("content-type", HeaderValue::from_static(JSON_CONTENT_TYPE));
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert("x-amzn-requestid", v);
        }
        let fault = if self.sender { "Sender" } else { "Receiver" };
        if let Ok(v) = HeaderValue::from_str(&format!("{};{fault}", self.code)) {
            h.insert("x-amzn-query-error", v);
        }
        r
    }
}

impl From<BusError> for SqsError {
    fn from(e: BusError) -> Self {
        SqsError::from_bus(&e)
    }
}
