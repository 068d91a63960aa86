//! The one error type of `bus-core` and of the backend traits.

use crate::filter::FilterError;

/// Errors of the bus: invalid input (with AWS's meaning), missing resources, and backend failures.
///
/// Every variant carries what a test needs to match on; backend errors keep their source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// A filter policy is invalid; the inner error carries AWS's reason text.
    #[error("Invalid parameter: FilterPolicy: {0}")]
    InvalidFilterPolicy(#[from] FilterError),
    /// The message (body plus attributes) exceeds the size limit.
    #[error("message too large: {actual} bytes, the limit is {limit} bytes")]
    PayloadTooLarge {
        /// Size of the rejected message in bytes.
        actual: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The message has more attributes than allowed.
    #[error("too many message attributes: {actual}, the limit is {limit}")]
    TooManyAttributes {
        /// Number of attributes sent.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// An attribute name or value breaks AWS's rules.
    #[error("invalid message attribute {name:?}: {reason}")]
    InvalidAttribute {
        /// The attribute's name.
        name: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A request parameter is out of range or malformed (AWS `InvalidParameterValue`).
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter's name, as AWS spells it (`WaitTimeSeconds`, `VisibilityTimeout`, ...).
        name: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The SNS `Subject` of a message breaks AWS's rules (SNS answers `InvalidParameter` with the text
    /// `Invalid parameter: Subject`), or a message with a subject was sent straight to a queue (SQS
    /// `SendMessage` has no subject). See [`crate::message::validate_subject`].
    #[error("Invalid parameter: Subject ({reason})")]
    InvalidSubject {
        /// Why the subject is refused.
        reason: String,
    },
    /// A batch request holds no entries (AWS `EmptyBatchRequest`).
    #[error("the batch request contains no entries")]
    EmptyBatch,
    /// A batch request holds more than 10 entries (AWS `TooManyEntriesInBatchRequest`).
    #[error("too many entries in batch request: {actual}, the limit is {limit}")]
    TooManyEntriesInBatch {
        /// Entries sent.
        actual: usize,
        /// The limit (10).
        limit: usize,
    },
    /// Two entries of a batch share an id (AWS `BatchEntryIdsNotDistinct`).
    #[error("batch entry ids are not distinct: {id:?}")]
    BatchEntryIdsNotDistinct {
        /// The repeated id.
        id: String,
    },
    /// A batch's total payload is over the limit (AWS `BatchRequestTooLong`).
    #[error("batch request too long: {actual} bytes, the limit is {limit} bytes")]
    BatchRequestTooLong {
        /// Total bytes.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// The topic does not exist (SNS `NotFound`).
    #[error("topic not found: {0}")]
    TopicNotFound(String),
    /// The queue does not exist (SQS `AWS.SimpleQueueService.NonExistentQueue`).
    #[error("queue not found: {0}")]
    QueueNotFound(String),
    /// A resource exists with conflicting attributes (SQS `QueueAlreadyExists`, SNS `InvalidParameter`).
    #[error("{kind} {name:?} already exists with different attributes: {reason}")]
    AlreadyExists {
        /// `queue`, `topic` or `subscription`.
        kind: &'static str,
        /// The resource's name.
        name: String,
        /// What differs.
        reason: String,
    },
    /// A receipt handle is unknown or malformed (SQS `ReceiptHandleIsInvalid`).
    #[error("receipt handle is invalid: {0}")]
    ReceiptHandleInvalid(String),
    /// The message of this receipt handle is not in flight any more (SQS `MessageNotInflight`).
    #[error("message not in flight: {0}")]
    MessageNotInflight(String),
    /// A queue was purged less than 60 seconds ago (SQS `PurgeQueueInProgress`).
    #[error("a purge of queue {0} is already in progress (one purge per 60 seconds)")]
    PurgeInProgress(String),
    /// A message body is not the event JSON `{"type": ..., "data": ...}` or its data has the wrong shape.
    #[error("cannot decode event: {0}")]
    Decode(#[from] serde_json::Error),
    /// The backend was shut down.
    #[error("the backend is closed")]
    Closed,
    /// A failure of the underlying service (AWS SDK error, I/O), with its source.
    #[error("{service} error{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Backend {
        /// The service (`sns`, `sqs`, ...).
        service: &'static str,
        /// The service's error code, when it sent one (`AWS.SimpleQueueService.NonExistentQueue`).
        code: Option<String>,
        /// The request id, when there was one.
        request_id: Option<String>,
        /// A short description.
        message: String,
        /// The original error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
}

impl BusError {
    /// A shorthand for [`BusError::InvalidParameter`].
    pub fn invalid_parameter(name: impl Into<String>, reason: impl Into<String>) -> Self {
        BusError::InvalidParameter { name: name.into(), reason: reason.into() }
    }

    /// The AWS error code that this error corresponds to (what SNS/SQS would return).
    pub fn aws_code(&self) -> &str {
        match self {
            BusError::InvalidFilterPolicy(_) => "InvalidParameter",
            BusError::PayloadTooLarge { .. } => "InvalidParameterValue",
            BusError::TooManyAttributes { .. } => "InvalidParameterValue",
            BusError::InvalidAttribute { .. } => "InvalidParameterValue",
            BusError::InvalidParameter { .. } => "InvalidParameterValue",
            BusError::InvalidSubject { .. } => "InvalidParameter",
            BusError::EmptyBatch => "EmptyBatchRequest",
            BusError::TooManyEntriesInBatch { .. } => "TooManyEntriesInBatchRequest",
            BusError::BatchEntryIdsNotDistinct { .. } => "BatchEntryIdsNotDistinct",
            BusError::BatchRequestTooLong { .. } => "BatchRequestTooLong",
            BusError::TopicNotFound(_) => "NotFound",
            BusError::QueueNotFound(_) => "AWS.SimpleQueueService.NonExistentQueue",
            BusError::AlreadyExists { .. } => "QueueAlreadyExists",
            BusError::ReceiptHandleInvalid(_) => "ReceiptHandleIsInvalid",
            BusError::MessageNotInflight(_) => "AWS.SimpleQueueService.MessageNotInflight",
            BusError::PurgeInProgress(_) => "AWS.SimpleQueueService.PurgeQueueInProgress",
            BusError::Decode(_) => "InvalidMessageContents",
            BusError::Closed => "ServiceUnavailable",
            BusError::Backend { code, .. } => code.as_deref().unwrap_or("InternalError"),
        }
    }

    /// Whether retrying the same call later may succeed (throttling, transient backend failures).
    pub fn is_transient(&self) -> bool {
        matches!(self, BusError::Backend { .. } | BusError::Closed)
    }
}
