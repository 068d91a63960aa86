//! The one error type of `bus-webhook`: why a request was refused (with its HTTP status), or why a
//! configuration was.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bus_core::BusError;

/// Why a webhook request was refused, or a configuration rejected.
///
/// [`WebhookError::status`] is the HTTP status the router answers with; nothing is published for any of
/// them. The choices: a request we cannot read the authentication of is `400` (missing or malformed
/// signature header, missing timestamp header); authentication that was read but fails is `401` (forged
/// signature, timestamp outside the tolerance window); an exact replay of an already accepted signed
/// request is `409`; a body over the limit is `413`; a body that is not what the source sends (not a
/// JSON object for Stripe) is `400`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// No source of this name is configured (`404`).
    #[error("unknown webhook source {0:?}")]
    UnknownSource(String),
    /// The body is larger than the configured limit, or than the bus accepts (`413`).
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A header the source's verification needs is absent (`400`).
    #[error("missing header {header}")]
    MissingHeader {
        /// The header's name.
        header: String,
    },
    /// The signature (or timestamp) header cannot be read (`400`).
    #[error("malformed header {header}: {reason}")]
    MalformedHeader {
        /// The header's name.
        header: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No signature in the request matches the body under any configured secret (`401`).
    #[error("no signature matches the payload")]
    InvalidSignature,
    /// The signed timestamp is outside the tolerance window around now (`401`).
    #[error("the signed timestamp {timestamp} is more than {} s away from now ({now})", tolerance.as_secs())]
    StaleTimestamp {
        /// The request's timestamp (Unix seconds).
        timestamp: i64,
        /// The clock's time (Unix seconds).
        now: i64,
        /// The tolerance.
        tolerance: Duration,
    },
    /// This exact signed request (same timestamp and signature) was already accepted (`409`).
    #[error("this signed request was already received (replay)")]
    Replayed,
    /// The body is not what the source sends: not JSON (Stripe), or not UTF-8 (`400`).
    #[error("invalid body: {0}")]
    InvalidBody(String),
    /// The request body could not be read (`400`).
    #[error("cannot read the request body: {0}")]
    BodyRead(String),
    /// Publishing the event failed (`502`; `413` when the bus found the message too large).
    #[error("publishing the event failed: {0}")]
    Publish(#[source] Box<BusError>),
    /// The builder was given an invalid or incomplete configuration (never a request error).
    #[error("invalid webhook configuration: {0}")]
    InvalidConfig(String),
}

impl WebhookError {
    /// The HTTP status the router answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            WebhookError::UnknownSource(_) => StatusCode::NOT_FOUND,
            WebhookError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            WebhookError::MissingHeader { .. }
            | WebhookError::MalformedHeader { .. }
            | WebhookError::InvalidBody(_)
            | WebhookError::BodyRead(_) => StatusCode::BAD_REQUEST,
            WebhookError::InvalidSignature | WebhookError::StaleTimestamp { .. } => StatusCode::UNAUTHORIZED,
            WebhookError::Replayed => StatusCode::CONFLICT,
            WebhookError::Publish(e) if matches!(**e, BusError::PayloadTooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            WebhookError::Publish(_) => StatusCode::BAD_GATEWAY,
            WebhookError::InvalidConfig(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short machine-readable code, sent as `error` in the JSON response.
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::UnknownSource(_) => "unknown_source",
            WebhookError::PayloadTooLarge { .. } => "payload_too_large",
            WebhookError::MissingHeader { .. } => "missing_header",
            WebhookError::MalformedHeader { .. } => "malformed_header",
            WebhookError::InvalidSignature => "invalid_signature",
            WebhookError::StaleTimestamp { .. } => "stale_timestamp",
            WebhookError::Replayed => "replayed",
            WebhookError::InvalidBody(_) => "invalid_body",
            WebhookError::BodyRead(_) => "unreadable_body",
            WebhookError::Publish(_) => "publish_failed",
            WebhookError::InvalidConfig(_) => "invalid_config",
        }
    }
}

impl IntoResponse for WebhookError {
    /// `{"error": code, "message": text}` with [`WebhookError::status`].
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.code(), "message": self.to_string()});
        (self.status(), axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_documented_choices() {
        let too_large = BusError::PayloadTooLarge { actual: 300_000, limit: 262_144 };
        assert_eq!(WebhookError::Publish(Box::new(too_large)).status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(WebhookError::Publish(Box::new(BusError::Closed)).status(), StatusCode::BAD_GATEWAY);
        assert_eq!(WebhookError::Replayed.status(), StatusCode::CONFLICT);
        let stale = WebhookError::StaleTimestamp { timestamp: 0, now: 301, tolerance: Duration::from_secs(300) };
        assert_eq!((stale.status(), stale.code()), (StatusCode::UNAUTHORIZED, "stale_timestamp"));
        assert_eq!(WebhookError::MissingHeader { header: "h".into() }.status(), StatusCode::BAD_REQUEST);
    }
}
