//! Helpers shared by the ingress tests: a recording publisher and request builders.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use bus_core::backend::{BatchEntry, PublishBatchOutput, PublishReceipt};
use bus_core::{BusError, Message, Publisher};
use tower::ServiceExt as _;

/// 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600;
pub const SECRET: &str = "whsec_test_secret";

/// A publisher that records `(topic, message)`; it fails while `failing` is set.
#[derive(Debug, Default)]
pub struct RecordingPublisher {
    pub published: Mutex<Vec<(String, Message)>>,
    pub failing: AtomicBool,
}

impl RecordingPublisher {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn messages(&self) -> Vec<Message> {
        self.published.lock().unwrap().iter().map(|(_, m)| m.clone()).collect()
    }

    pub fn count(&self) -> usize {
        self.published.lock().unwrap().len()
    }

    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

#[async_trait]
impl Publisher for RecordingPublisher {
    async fn publish(&self, topic: &str, message: Message) -> Result<PublishReceipt, BusError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(BusError::Closed);
        }
        let mut published = self.published.lock().unwrap();
        published.push((topic.to_owned(), message));
        Ok(PublishReceipt { message_id: format!("msg-{}", published.len()), sequence_number: None })
    }

    async fn publish_batch(&self, _topic: &str, _entries: Vec<BatchEntry>) -> Result<PublishBatchOutput, BusError> {
        Err(BusError::EmptyBatch)
    }
}

/// Sends one request through the router; returns the status and the JSON body (Null when not JSON).
pub async fn send(router: &Router, request: Request<Body>) -> (StatusCode, serde_json::Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

/// A `POST /webhooks/{source}` with these headers and body.
pub fn post(source: &str, headers: &[(&str, &str)], body: impl Into<Body>) -> Request<Body> {
    let mut r = Request::post(format!("/webhooks/{source}"));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.body(body.into()).unwrap()
}
