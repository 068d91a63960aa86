//! [`WebhookIngress`]: the configured sources, the verification pipeline, and the axum router.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use bus_core::Publisher;

use crate::builder::WebhookIngressBuilder;
use crate::clock::{unix_secs, Clock};
use crate::error::WebhookError;
use crate::generic::{self, HmacConfig};
use crate::message::webhook_message;
use crate::seen::SeenSet;
use crate::stripe::{self, StripeConfig, STRIPE_EVENT_TYPE, STRIPE_SIGNATURE_HEADER};

/// One configured source.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Stripe(StripeConfig),
    Hmac(HmacConfig),
}

/// What the ingress remembers to refuse replays and publish duplicates once (per process).
#[derive(Debug)]
pub(crate) struct Seen {
    /// `source \0 timestamp \0 signature` of accepted timestamped requests.
    pub signatures: SeenSet,
    /// `source \0 webhook id` of published webhooks.
    pub ids: SeenSet,
}

pub(crate) struct Inner {
    pub publisher: Arc<dyn Publisher>,
    pub topic: String,
    pub sources: HashMap<String, Source>,
    pub max_body_bytes: usize,
    pub clock: Arc<dyn Clock>,
    pub seen: Mutex<Seen>,
}

/// A webhook ingress: verifies requests of the configured sources and publishes each as an event.
///
/// Build it with [`WebhookIngress::builder`]; serve [`WebhookIngress::router`] (`POST /webhooks/{source}`)
/// or call [`WebhookIngress::receive`] directly. Cheap to clone.
///
/// # Pipeline
/// 1. the source must be configured (`404`), the body within the limit (`413`);
/// 2. the signature is verified (see [`StripeConfig`], [`HmacConfig`]; `400`/`401`);
/// 3. the body must be what the source sends (`400`): a JSON object for Stripe, UTF-8 for generic sources;
/// 4. an exact replay of an accepted timestamped request is refused (`409`); a webhook whose id was
///    already published (Stripe's event `id`, or the generic id header) is acknowledged (`200`,
///    `"status": "duplicate"`) and not published again;
/// 5. the event is published to the topic (`200`, `"status": "published"`); if that fails (`502`, or
///    `413` when the bus finds it too large), the request is forgotten so the sender's retry goes through.
///
/// Replay and duplicate memory is a bounded in-memory set with a time to live, per process: several
/// ingress processes behind a load balancer each have their own, so a duplicate that lands on another
/// process is published again (downstream handlers must stay idempotent, as at-least-once delivery
/// requires anyway).
#[derive(Clone)]
pub struct WebhookIngress {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for WebhookIngress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sources: Vec<&String> = self.inner.sources.keys().collect();
        sources.sort();
        f.debug_struct("WebhookIngress")
            .field("topic", &self.inner.topic)
            .field("sources", &sources)
            .field("max_body_bytes", &self.inner.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// A request the ingress accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The event was published.
    Published {
        /// The event type.
        event_type: String,
        /// The webhook id, when the source has one.
        webhook_id: Option<String>,
        /// The bus's message id.
        message_id: String,
    },
    /// A webhook with this id was already published; nothing was published now.
    Duplicate {
        /// The webhook id.
        webhook_id: String,
    },
}

impl WebhookIngress {
    /// A builder: add a publisher, a topic and sources, then `build()`.
    pub fn builder() -> WebhookIngressBuilder {
        WebhookIngressBuilder::default()
    }

    /// The axum router: `POST /webhooks/{source}`, with the body limit applied.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/webhooks/{source}", post(handle))
            .layer(DefaultBodyLimit::max(self.inner.max_body_bytes))
            .with_state(self.clone())
    }

    /// Verifies and publishes one request of `source` (the router's handler, without HTTP).
    pub async fn receive(&self, source: &str, headers: &HeaderMap, body: &[u8]) -> Result<Accepted, WebhookError> {
        let inner = &self.inner;
        let config = inner.sources.get(source).ok_or_else(|| WebhookError::UnknownSource(source.to_owned()))?;
        if body.len() > inner.max_body_bytes {
            return Err(WebhookError::PayloadTooLarge { limit: inner.max_body_bytes });
        }
        let now = inner.clock.now();
        let now_secs = unix_secs(now);

        // Verify, then read the body as the source sends it.
        let (replay_key, event_type, webhook_id, text, json) = match config {
            Source::Stripe(config) => {
                let header = headers
                    .get(STRIPE_SIGNATURE_HEADER)
                    .ok_or_else(|| WebhookError::MissingHeader { header: STRIPE_SIGNATURE_HEADER.to_owned() })?
                    .to_str()
                    .map_err(|_| WebhookError::MalformedHeader {
                        header: STRIPE_SIGNATURE_HEADER.to_owned(),
                        reason: "not visible ASCII",
                    })?;
                let verified = stripe::verify_header(config, header, body, now_secs)?;
                let payload: serde_json::Value = serde_json::from_slice(body)
                    .map_err(|e| WebhookError::InvalidBody(format!("a Stripe webhook must be JSON: {e}")))?;
                let Some(object) = payload.as_object() else {
                    return Err(WebhookError::InvalidBody("a Stripe webhook must be a JSON object".into()));
                };
                let id = object.get("id").and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_owned);
                let key = format!("{source}\0{}\0{}", verified.timestamp, verified.signature);
                let text = std::str::from_utf8(body).map_err(|e| WebhookError::InvalidBody(e.to_string()))?;
                (Some(key), STRIPE_EVENT_TYPE.to_owned(), id, text, true)
            }
            Source::Hmac(config) => {
                let verified = generic::verify_request(config, headers, body, now_secs)?;
                let id = generic::delivery_id(config, headers)?;
                let text = std::str::from_utf8(body)
                    .map_err(|_| WebhookError::InvalidBody("the body is not UTF-8 text".into()))?;
                let json = serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok();
                let key = verified.timestamp.map(|t| format!("{source}\0{t}\0{}", verified.signature));
                (key, config.event_type_for(source), id, text, json)
            }
        };
        let id_key = webhook_id.as_ref().map(|id| format!("{source}\0{id}"));

        // Replay and duplicate checks, and the claim, in one short critical section.
        {
            let mut seen = inner.seen.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(key) = &replay_key {
                if seen.signatures.contains(key, now) {
                    tracing::warn!(source, webhook_id = ?webhook_id, "replayed webhook refused");
                    return Err(WebhookError::Replayed);
                }
                seen.signatures.insert(key.clone(), now);
            }
            if let (Some(key), Some(id)) = (&id_key, &webhook_id) {
                if seen.ids.contains(key, now) {
                    tracing::info!(source, webhook_id = %id, "duplicate webhook acknowledged, not published");
                    return Ok(Accepted::Duplicate { webhook_id: id.clone() });
                }
                seen.ids.insert(key.clone(), now);
            }
        }

        let message = webhook_message(&event_type, source, text, json, webhook_id.as_deref());
        match inner.publisher.publish(&inner.topic, message).await {
            Ok(receipt) => {
                tracing::info!(source, event_type = %event_type, webhook_id = ?webhook_id,
                    message_id = %receipt.message_id, "webhook published");
                Ok(Accepted::Published { event_type, webhook_id, message_id: receipt.message_id })
            }
            Err(e) => {
                tracing::error!(source, webhook_id = ?webhook_id, error = %e, "publishing a webhook failed");
                let mut seen = inner.seen.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(key) = &replay_key {
                    seen.signatures.remove(key);
                }
                if let Some(key) = &id_key {
                    seen.ids.remove(key);
                }
                Err(WebhookError::Publish(Box::new(e)))
            }
        }
    }
}

/// `POST /webhooks/{source}`.
async fn handle(
    State(ingress): State<WebhookIngress>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = match body {
        Ok(body) => ingress.receive(&source, &headers, &body).await,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(WebhookError::PayloadTooLarge { limit: ingress.inner.max_body_bytes })
        }
        Err(rejection) => Err(WebhookError::BodyRead(rejection.body_text())),
    };
    match result {
        Ok(Accepted::Published { event_type, webhook_id, message_id }) => Json(serde_json::json!({
            "status": "published", "event_type": event_type, "webhook_id": webhook_id, "message_id": message_id,
        }))
        .into_response(),
        Ok(Accepted::Duplicate { webhook_id }) => {
            Json(serde_json::json!({"status": "duplicate", "webhook_id": webhook_id})).into_response()
        }
        Err(e) => {
            if e.status().is_client_error() {
                tracing::warn!(source = %source, status = e.status().as_u16(), error = %e, "webhook refused");
            }
            e.into_response()
        }
    }
}

/// The signature memory TTL: twice the largest tolerance plus a second (a timestamp is accepted from the
/// tolerance before it to the tolerance after it, at a resolution of one second).
pub(crate) fn signature_ttl(sources: &HashMap<String, Source>) -> Duration {
    sources
        .values()
        .map(|s| match s {
            Source::Stripe(c) => c.tolerance,
            Source::Hmac(c) => c.tolerance,
        })
        .max()
        .unwrap_or_default()
        .saturating_mul(2)
        .saturating_add(Duration::from_secs(1))
}
