//! Generic HMAC sources through the axum router, and the builder's checks.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::Router;
use bus_core::{AttributeValue, Event};
use bus_webhook::{raw_payload, HmacConfig, ManualClock, SignatureEncoding, WebhookError, WebhookIngress};
use common::*;
use serde_json::json;

const BODY: &str = r#"{"hello":"world"}"#;
/// HMAC-SHA256 of BODY under `generic-secret`, computed independently with Python's standard library:
/// `hmac.new(b"generic-secret", BODY, hashlib.sha256).hexdigest()`.
const FIXED_HEX: &str = "9858e8fea916b4f991c984891b199af820f78dd387b5c596a48934a46b5d279a";

fn github() -> HmacConfig {
    HmacConfig::new("generic-secret")
        .header("X-Hub-Signature-256")
        .prefix("sha256=")
        .id_header("X-GitHub-Delivery")
        .event_type("GITHUB_WEBHOOK")
}

fn timestamped() -> HmacConfig {
    HmacConfig::new("ts-secret").encoding(SignatureEncoding::Base64).header("x-sig").timestamp_header("x-timestamp")
}

fn setup() -> (Router, Arc<RecordingPublisher>, ManualClock) {
    let publisher = RecordingPublisher::new();
    let clock = ManualClock::at_unix(T0 as u64);
    let router = WebhookIngress::builder()
        .publisher(publisher.clone())
        .topic("events")
        .hmac("github", github())
        .hmac("signed-ts", timestamped())
        .hmac("plain", HmacConfig::new("plain-secret"))
        .clock(clock.clone())
        .build()
        .unwrap();
    (router, publisher, clock)
}

#[tokio::test]
async fn a_github_style_source_verifies_publishes_and_deduplicates_by_id_header() {
    let (router, publisher, _) = setup();
    let sig = format!("sha256={FIXED_HEX}");
    assert_eq!(github().sign(None, BODY.as_bytes()), sig, "our code path agrees with the fixed vector");
    let headers = [("X-Hub-Signature-256", sig.as_str()), ("X-GitHub-Delivery", "d-1")];
    let (status, json) = send(&router, post("github", &headers, BODY)).await;
    assert_eq!((status, json["status"].as_str()), (StatusCode::OK, Some("published")), "{json}");
    let message = publisher.messages().remove(0);
    let event = Event::from_body(&message.body).unwrap();
    assert_eq!((event.event_type.as_str(), event.data), ("GITHUB_WEBHOOK", json!({"hello": "world"})));
    assert_eq!(message.attributes["webhook-id"], AttributeValue::String("d-1".into()));
    assert_eq!(message.attributes["webhook-source"], AttributeValue::String("github".into()));
    assert_eq!(raw_payload(&message).as_deref(), Some(BODY));

    // The same delivery again (no timestamp: the same signature): acknowledged, not published.
    let (status, json) = send(&router, post("github", &headers, BODY)).await;
    assert_eq!((status, json["status"].as_str()), (StatusCode::OK, Some("duplicate")));
    assert_eq!(publisher.count(), 1);
}

#[tokio::test]
async fn generic_sources_refuse_unsigned_malformed_and_forged_requests() {
    let (router, publisher, _) = setup();
    let good = format!("sha256={FIXED_HEX}");
    let forged = format!("sha256={}", "ab".repeat(32));
    type Case<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (vec![], StatusCode::BAD_REQUEST, "missing_header"),
        (vec![("X-Hub-Signature-256", FIXED_HEX)], StatusCode::BAD_REQUEST, "malformed_header"),
        (vec![("X-Hub-Signature-256", "sha256=nothex")], StatusCode::BAD_REQUEST, "malformed_header"),
        (vec![("X-Hub-Signature-256", &forged)], StatusCode::UNAUTHORIZED, "invalid_signature"),
    ];
    for (headers, status, code) in cases {
        let (got, json) = send(&router, post("github", &headers, BODY)).await;
        assert_eq!((got, json["error"].as_str()), (status, Some(code)), "{headers:?}");
    }
    let (got, _) = send(&router, post("github", &[("X-Hub-Signature-256", &good)], r#"{"hello":"w0rld"}"#)).await;
    assert_eq!(got, StatusCode::UNAUTHORIZED, "a tampered body fails");
    assert_eq!(publisher.count(), 0);
}

#[tokio::test]
async fn timestamped_sources_check_the_window_and_refuse_replays() {
    let (router, publisher, clock) = setup();
    let sign = |t: i64, body: &str| timestamped().sign(Some(t), body.as_bytes());
    let t = T0.to_string();
    let sig = sign(T0, BODY);
    let headers = [("x-sig", sig.as_str()), ("x-timestamp", t.as_str())];
    assert_eq!(send(&router, post("signed-ts", &headers, BODY)).await.0, StatusCode::OK);
    let (status, json) = send(&router, post("signed-ts", &headers, BODY)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::CONFLICT, Some("replayed")));

    // A different timestamp re-signs the same body: a new request (no id header here, so published).
    let t2 = (T0 + 5).to_string();
    let sig2 = sign(T0 + 5, BODY);
    let (status, _) = send(&router, post("signed-ts", &[("x-sig", &sig2), ("x-timestamp", &t2)], BODY)).await;
    assert_eq!(status, StatusCode::OK);

    clock.advance(Duration::from_secs(400));
    let (status, json) = send(&router, post("signed-ts", &[("x-sig", &sig2), ("x-timestamp", &t2)], BODY)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("stale_timestamp")));
    let (status, json) = send(&router, post("signed-ts", &[("x-sig", &sig2)], BODY)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::BAD_REQUEST, Some("missing_header")));
    let (status, json) = send(&router, post("signed-ts", &[("x-sig", &sig2), ("x-timestamp", "soon")], BODY)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::BAD_REQUEST, Some("malformed_header")));
    assert_eq!(publisher.count(), 2);
}

#[tokio::test]
async fn text_bodies_are_published_as_a_string_and_non_utf8_is_refused() {
    let (router, publisher, _) = setup();
    let cfg = HmacConfig::new("plain-secret");
    let text = "a=1&b=two";
    let (status, json) = send(&router, post("plain", &[("x-signature", &cfg.sign(None, text.as_bytes()))], text)).await;
    assert_eq!(status, StatusCode::OK, "{json}");
    let message = publisher.messages().remove(0);
    let event = Event::from_body(&message.body).unwrap();
    assert_eq!((event.event_type.as_str(), event.data), ("PLAIN_INCOMING_WEBHOOK", json!(text)));
    assert_eq!(raw_payload(&message).as_deref(), Some(text));

    let binary: Vec<u8> = vec![0xff, 0xfe, 0x00];
    let (status, json) = send(&router, post("plain", &[("x-signature", &cfg.sign(None, &binary))], binary)).await;
    assert_eq!((status, json["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")));
    assert_eq!(publisher.count(), 1);
}

#[test]
fn the_builder_refuses_incomplete_or_invalid_configurations() {
    let publisher = RecordingPublisher::new();
    let base = || WebhookIngress::builder().publisher(publisher.clone()).topic("events");
    let bad = [
        WebhookIngress::builder().topic("t").stripe("s").build_ingress(),
        WebhookIngress::builder().publisher(publisher.clone()).stripe("s").build_ingress(),
        base().build_ingress(),
        base().stripe("").build_ingress(),
        base().stripe("a").stripe("b").build_ingress(),
        base().hmac("Bad Name", HmacConfig::new("k")).build_ingress(),
        base().hmac("x", HmacConfig::new("k").header("no spaces allowed")).build_ingress(),
        base().stripe("s").max_body_bytes(0).build_ingress(),
    ];
    for (i, result) in bad.into_iter().enumerate() {
        assert!(matches!(result, Err(WebhookError::InvalidConfig(_))), "case {i}: {result:?}");
    }
    let ok = base().stripe("s").hmac("github", github()).build_ingress().unwrap();
    assert!(format!("{ok:?}").contains("github"));
    assert!(!format!("{:?}", github()).contains("generic-secret"), "secrets stay out of Debug output");
}
