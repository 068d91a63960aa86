//! End to end on bus-memory: a signed Stripe webhook reaches the queue whose policy routes its type.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use bus_core::backend::{QueueSpec, Topology};
use bus_core::{Backend, ReceiveOptions};
use bus_memory::MemoryBackend;
use bus_webhook::{raw_payload, stripe_signature_header, ManualClock, WebhookIngress, STRIPE_EVENT_TYPE};
use common::*;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn a_stripe_webhook_is_routed_to_billing_once() {
    let bus = Arc::new(MemoryBackend::new());
    bus.apply_topology(
        &Topology::new()
            .topic("events")
            .queue(QueueSpec::new("billing"))
            .queue(QueueSpec::new("email"))
            .subscribe_with_policy("events", "billing", json!({"event-type": ["USER_CREATED", STRIPE_EVENT_TYPE]}))
            .subscribe_with_policy("events", "email", json!({"event-type": ["USER_CREATED", "USER_COMMENT"]})),
    )
    .await
    .unwrap();
    let clock = ManualClock::at_unix(T0 as u64);
    let router = WebhookIngress::builder()
        .publisher(bus.publisher())
        .topic("events")
        .stripe(SECRET)
        .clock(clock.clone())
        .build()
        .unwrap();

    let body = r#"{"id":"evt_42","type":"invoice.paid","data":{"object":{"amount_paid":1200}}}"#;
    let header = stripe_signature_header(SECRET, T0, body.as_bytes());
    let (status, json) = send(&router, post("stripe", &[("Stripe-Signature", &header)], body)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    // Stripe retries the same event later, re-signed: acknowledged, not published again.
    clock.advance(Duration::from_secs(30));
    let retry = stripe_signature_header(SECRET, T0 + 30, body.as_bytes());
    let (status, json) = send(&router, post("stripe", &[("Stripe-Signature", &retry)], body)).await;
    assert_eq!((status, json["status"].as_str()), (StatusCode::OK, Some("duplicate")));

    let billing = bus.subscription("billing").await.unwrap();
    let got = billing.receive(ReceiveOptions::new(10, Duration::ZERO)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].event_type(), Some(STRIPE_EVENT_TYPE));
    assert_eq!(got[0].event.as_ref().unwrap().data["data"]["object"]["amount_paid"], 1200);
    assert_eq!(raw_payload(&got[0].message).as_deref(), Some(body));
    assert_eq!(bus.queue_stats("email").await.unwrap().total(), 0, "email's policy does not route it");
}
