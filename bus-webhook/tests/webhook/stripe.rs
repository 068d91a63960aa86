//! The `stripe` source through the axum router: Stripe's scheme, and every way a request is refused.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use bus_core::{AttributeValue, Event};
use bus_webhook::{
    raw_payload, stripe_signature, stripe_signature_header, ManualClock, StripeConfig, WebhookIngress,
    STRIPE_EVENT_TYPE,
};
use common::*;
use serde_json::json;

const BODY: &str = r#"{"id":"evt_test_1","object":"event","type":"payment_intent.succeeded"}"#;
/// `Stripe-Signature` v1 for BODY at T0 under SECRET, computed independently at development time with
/// Python's standard library:
/// `hmac.new(b"whsec_test_secret", b"1767225600." + BODY, hashlib.sha256).hexdigest()`.
const FIXED_V1: &str = "45b8a95776fbf3619f8f4766a0af27089e752a5ba31acdc5a7e65b7c7f450dcc";

fn setup() -> (Router, Arc<RecordingPublisher>, ManualClock) {
    let publisher = RecordingPublisher::new();
    let clock = ManualClock::at_unix(T0 as u64);
    let router = WebhookIngress::builder()
        .publisher(publisher.clone())
        .topic("events")
        .stripe(SECRET)
        .clock(clock.clone())
        .max_body_bytes(4096)
        .dedup_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    (router, publisher, clock)
}

fn signed(t: i64, body: &str) -> String {
    stripe_signature_header(SECRET, t, body.as_bytes())
}

#[tokio::test]
async fn the_documented_scheme_with_a_fixed_vector_publishes_the_event() {
    let (router, publisher, _) = setup();
    // Our code path and the independently computed vector agree.
    assert_eq!(stripe_signature(SECRET, T0, BODY.as_bytes()), FIXED_V1);
    let header = format!("t={T0},v1={FIXED_V1}");
    let (status, json) = send(&router, post("stripe", &[("Stripe-Signature", &header)], BODY)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    assert_eq!(json["status"], "published");
    assert_eq!(json["webhook_id"], "evt_test_1");

    let published = publisher.published.lock().unwrap().clone();
    assert_eq!(published.len(), 1);
    let (topic, message) = &published[0];
    assert_eq!(topic, "events");
    let event = Event::from_body(&message.body).unwrap();
    assert_eq!(event.event_type, STRIPE_EVENT_TYPE);
    assert_eq!(event.data, serde_json::from_str::<serde_json::Value>(BODY).unwrap());
    assert_eq!(raw_payload(message).as_deref(), Some(BODY), "the raw body is kept byte for byte");
    assert_eq!(message.attributes["event-type"], AttributeValue::String(STRIPE_EVENT_TYPE.into()));
    assert_eq!(message.attributes["webhook-source"], AttributeValue::String("stripe".into()));
    assert_eq!(message.attributes["webhook-id"], AttributeValue::String("evt_test_1".into()));
}

#[tokio::test]
async fn pretty_printed_bodies_are_kept_exactly_and_can_be_verified_again() {
    let (router, publisher, _) = setup();
    let body = "{\n  \"id\": \"evt_pretty\",\n  \"data\": {\"object\": {\"amount\": 1000}}\n}\n";
    let (status, _) = send(&router, post("stripe", &[("stripe-signature", &signed(T0, body))], body)).await;
    assert_eq!(status, StatusCode::OK);
    let message = publisher.messages().remove(0);
    let raw = raw_payload(&message).unwrap().into_owned();
    assert_eq!(raw, body);
    assert_eq!(signed(T0, &raw), signed(T0, body), "the archived raw body still verifies");
}

#[tokio::test]
async fn several_v1_signatures_pass_if_one_matches_and_header_case_does_not_matter() {
    let (router, publisher, _) = setup();
    let forged = "0".repeat(64);
    let header = format!("t={T0},v0={forged},v1={forged},v1={}", stripe_signature(SECRET, T0, BODY.as_bytes()));
    let (status, _) = send(&router, post("stripe", &[("STRIPE-SIGNATURE", &header)], BODY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(publisher.count(), 1);
}

#[tokio::test]
async fn a_rolled_secret_is_accepted_alongside_the_new_one() {
    let publisher = RecordingPublisher::new();
    let router = WebhookIngress::builder()
        .publisher(publisher.clone())
        .topic("events")
        .stripe_with(StripeConfig::new("whsec_new").with_secret(SECRET))
        .clock(ManualClock::at_unix(T0 as u64))
        .build()
        .unwrap();
    let (status, _) = send(&router, post("stripe", &[("stripe-signature", &signed(T0, BODY))], BODY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(publisher.count(), 1);
}

#[tokio::test]
async fn unsigned_malformed_and_forged_requests_publish_nothing() {
    let (router, publisher, _) = setup();
    let wrong_secret = stripe_signature_header("whsec_wrong", T0, BODY.as_bytes());
    let tampered_body = BODY.replace("succeeded", "failed");
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, StatusCode, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (vec![], BODY, StatusCode::BAD_REQUEST, "missing_header"),
        (vec![("stripe-signature", "garbage")], BODY, StatusCode::BAD_REQUEST, "malformed_header"),
        (vec![("stripe-signature", "t=1767225600")], BODY, StatusCode::BAD_REQUEST, "malformed_header"),
        (vec![("stripe-signature", &wrong_secret)], BODY, StatusCode::UNAUTHORIZED, "invalid_signature"),
        (vec![("stripe-signature", "t=1767225600,v1=zz")], BODY, StatusCode::UNAUTHORIZED, "invalid_signature"),
    ];
    for (headers, body, status, code) in cases {
        let (got, json) = send(&router, post("stripe", &headers, body.to_owned())).await;
        assert_eq!((got, json["error"].as_str()), (status, Some(code)), "{headers:?}: {json}");
    }
    // The right signature, another body.
    let header = signed(T0, BODY);
    let (got, json) = send(&router, post("stripe", &[("stripe-signature", &header)], tampered_body)).await;
    assert_eq!((got, json["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_signature")));
    assert_eq!(publisher.count(), 0);
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused_at_the_tolerance_boundary() {
    let (router, publisher, clock) = setup();
    let header = signed(T0, BODY);
    clock.advance(Duration::from_secs(301));
    let (status, json) = send(&router, post("stripe", &[("stripe-signature", &header)], BODY)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("stale_timestamp")));
    let future = signed(T0 + 301 + 301, BODY);
    let (status, _) = send(&router, post("stripe", &[("stripe-signature", &future)], BODY)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(publisher.count(), 0);
    // Exactly at the edge of the window it still passes.
    let edge = signed(T0 + 1, BODY);
    let (status, _) = send(&router, post("stripe", &[("stripe-signature", &edge)], BODY)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(publisher.count(), 1);
}

#[tokio::test]
async fn a_replayed_request_is_refused_with_409() {
    let (router, publisher, clock) = setup();
    let header = signed(T0, BODY);
    let (status, _) = send(&router, post("stripe", &[("stripe-signature", &header)], BODY)).await;
    assert_eq!(status, StatusCode::OK);
    clock.advance(Duration::from_secs(120));
    let (status, json) = send(&router, post("stripe", &[("stripe-signature", &header)], BODY)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::CONFLICT, Some("replayed")));
    assert_eq!(publisher.count(), 1);
}

#[tokio::test]
async fn a_redelivery_of_the_same_event_id_publishes_once_until_the_ttl_passes() {
    let (router, publisher, clock) = setup();
    let (status, _) = send(&router, post("stripe", &[("stripe-signature", &signed(T0, BODY))], BODY)).await;
    assert_eq!(status, StatusCode::OK);
    // Stripe re-signs a retry with a new timestamp: a legitimate request, but the same event id.
    clock.advance(Duration::from_secs(60));
    let retry = signed(T0 + 60, BODY);
    let (status, json) = send(&router, post("stripe", &[("stripe-signature", &retry)], BODY)).await;
    assert_eq!((status, json["status"].as_str()), (StatusCode::OK, Some("duplicate")));
    assert_eq!(json["webhook_id"], "evt_test_1");
    assert_eq!(publisher.count(), 1);
    // Another event id is published.
    let other = BODY.replace("evt_test_1", "evt_test_2");
    let (status, _) = send(&router, post("stripe", &[("stripe-signature", &signed(T0 + 60, &other))], other)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(publisher.count(), 2);
    // After the dedup TTL (1 h here) the id is forgotten.
    clock.advance(Duration::from_secs(3600));
    let late = signed(T0 + 3660, BODY);
    let (status, json) = send(&router, post("stripe", &[("stripe-signature", &late)], BODY)).await;
    assert_eq!((status, json["status"].as_str()), (StatusCode::OK, Some("published")));
    assert_eq!(publisher.count(), 3);
}

#[tokio::test]
async fn oversized_and_non_json_bodies_are_refused() {
    let (router, publisher, _) = setup();
    let big = format!(r#"{{"id":"evt_big","pad":"{}"}}"#, "x".repeat(5000));
    let (status, json) = send(&router, post("stripe", &[("stripe-signature", &signed(T0, &big))], big)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
    for body in ["not json", "[1,2,3]", "{\"id\": "] {
        let (status, json) = send(&router, post("stripe", &[("stripe-signature", &signed(T0, body))], body)).await;
        assert_eq!((status, json["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")), "{body}");
    }
    assert_eq!(publisher.count(), 0);
}

#[tokio::test]
async fn unknown_sources_and_other_methods_are_refused() {
    let (router, publisher, _) = setup();
    let (status, json) = send(&router, post("paypal", &[("stripe-signature", &signed(T0, BODY))], BODY)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_source")));
    let get = axum::http::Request::get("/webhooks/stripe").body(axum::body::Body::empty()).unwrap();
    assert_eq!(send(&router, get).await.0, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(publisher.count(), 0);
}

#[tokio::test]
async fn a_failed_publish_is_502_and_the_retry_goes_through() {
    let (router, publisher, _) = setup();
    publisher.set_failing(true);
    let header = signed(T0, BODY);
    let (status, json) = send(&router, post("stripe", &[("stripe-signature", &header)], BODY)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::BAD_GATEWAY, Some("publish_failed")));
    publisher.set_failing(false);
    // Neither the signature nor the event id was kept: the same delivery is accepted now.
    let (status, json) = send(&router, post("stripe", &[("stripe-signature", &header)], BODY)).await;
    assert_eq!((status, json["status"].as_str()), (StatusCode::OK, Some("published")));
    assert_eq!(publisher.count(), 1);
    let event = Event::from_body(&publisher.messages()[0].body).unwrap();
    assert_eq!(event.data["id"], json!("evt_test_1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_of_one_event_publish_it_once() {
    let publisher = RecordingPublisher::new();
    let ingress = WebhookIngress::builder()
        .publisher(publisher.clone())
        .topic("events")
        .stripe(SECRET)
        .clock(ManualClock::at_unix(T0 as u64))
        .build_ingress()
        .unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let ingress = ingress.clone();
            tokio::spawn(async move {
                let mut headers = axum::http::HeaderMap::new();
                headers.insert("stripe-signature", signed(T0 - i, BODY).parse().unwrap());
                ingress.receive("stripe", &headers, BODY.as_bytes()).await.unwrap()
            })
        })
        .collect();
    let mut published = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), bus_webhook::Accepted::Published { .. }) {
            published += 1;
        }
    }
    assert_eq!((published, publisher.count()), (1, 1));
}
