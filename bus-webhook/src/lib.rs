//! `bus-webhook`: webhook ingress for the bus, on axum.
//!
//! `POST /webhooks/{source}` turns a verified request into an event published through any
//! [`bus_core::Publisher`] to a topic:
//!
//! - the `stripe` source checks Stripe's scheme (`Stripe-Signature: t=...,v1=...`, HMAC-SHA256 over
//!   `"{t}.{raw body}"`, a tolerance window, constant-time comparison, several `v1` signatures and secrets)
//!   and publishes `STRIPE_INCOMING_WEBHOOK` with the payload as `data`;
//! - generic sources check an HMAC-SHA256 header over the raw body (hex or base64, optional prefix,
//!   optional signed timestamp), see [`HmacConfig`].
//!
//! The raw body is kept byte for byte inside the published event (see [`raw_payload`]). Unsigned,
//! forged, stale, replayed, oversized or malformed requests are refused with a 4xx status and publish
//! nothing (the statuses are listed on [`WebhookError`]); duplicate deliveries of the same webhook id
//! publish once (per process, see [`WebhookIngress`]). Time comes from an injectable [`Clock`].
//!
//! ```
//! # use std::sync::{Arc, Mutex};
//! # use bus_core::{BusError, Message, Publisher, backend::{BatchEntry, PublishBatchOutput, PublishReceipt}};
//! # #[derive(Debug, Default)]
//! # struct Recorder(Mutex<Vec<Message>>);
//! # #[async_trait::async_trait]
//! # impl Publisher for Recorder {
//! #     async fn publish(&self, _topic: &str, m: Message) -> Result<PublishReceipt, BusError> {
//! #         self.0.lock().unwrap().push(m);
//! #         Ok(PublishReceipt { message_id: "m-1".into(), sequence_number: None })
//! #     }
//! #     async fn publish_batch(&self, _: &str, _: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
//! #         Err(BusError::EmptyBatch)
//! #     }
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use axum::{body::Body, http::Request};
//! use bus_webhook::{stripe_signature_header, ManualClock, WebhookIngress};
//! use tower::ServiceExt as _;
//!
//! let publisher = Arc::new(Recorder::default()); // any bus_core::Publisher: a backend's, in an application
//! let clock = ManualClock::at_unix(1_767_225_600);
//! let router = WebhookIngress::builder()
//!     .publisher(publisher.clone())
//!     .topic("events")
//!     .stripe("whsec_test_secret")
//!     .clock(clock)
//!     .build()?;
//!
//! let body = r#"{"id":"evt_1","type":"invoice.paid"}"#;
//! let request = Request::post("/webhooks/stripe")
//!     .header("Stripe-Signature", stripe_signature_header("whsec_test_secret", 1_767_225_600, body.as_bytes()))
//!     .body(Body::from(body))?;
//! let response = router.oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//!
//! let published = publisher.0.lock().unwrap();
//! let event = bus_core::Event::from_body(&published[0].body)?;
//! assert_eq!(event.event_type, "STRIPE_INCOMING_WEBHOOK");
//! assert_eq!(event.data["type"], "invoice.paid");
//! assert_eq!(bus_webhook::raw_payload(&published[0]).as_deref(), Some(body));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! No feature flags.

mod builder;
mod clock;
mod error;
mod generic;
mod ingress;
mod message;
mod seen;
mod signature;
mod stripe;

pub use builder::{WebhookIngressBuilder, DEFAULT_DEDUP_TTL, DEFAULT_MAX_BODY_BYTES, DEFAULT_SEEN_CAPACITY};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::WebhookError;
pub use generic::{HmacConfig, SignatureEncoding};
pub use ingress::{Accepted, WebhookIngress};
pub use message::{raw_payload, CONTENT_ATTRIBUTE, SOURCE_ATTRIBUTE, WEBHOOK_ID_ATTRIBUTE};
pub use signature::hmac_sha256;
pub use stripe::{
    stripe_signature, stripe_signature_header, StripeConfig, StripeSignature, DEFAULT_TOLERANCE, STRIPE_EVENT_TYPE,
    STRIPE_SIGNATURE_HEADER,
};
