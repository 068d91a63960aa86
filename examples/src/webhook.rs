//! The Stripe side of the demo: the `bus-webhook` ingress served over real HTTP on 127.0.0.1 (an ephemeral
//! port), and a client that posts a signed `invoice.paid` webhook, Stripe's retry of it, and a forged copy.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{Request, StatusCode};
use bus_core::Publisher;
use bus_webhook::{stripe_signature_header, WebhookIngress, STRIPE_SIGNATURE_HEADER};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::DemoError;

/// The demo's Stripe signing secret (`whsec_...`, as Stripe's dashboard shows one).
pub const DEMO_STRIPE_SECRET: &str = "whsec_seed_demo_secret";

/// One webhook request the demo sent, and the ingress's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookCall {
    /// What the request was (`signed invoice.paid`, `Stripe's retry`, `forged signature`).
    pub what: String,
    /// The HTTP status.
    pub status: u16,
    /// The ingress's `status` field (`published`, `duplicate`) or error text.
    pub outcome: String,
    /// The bus message id when the event was published.
    pub message_id: Option<String>,
}

/// The ingress, served on a loopback port until [`stop`](Self::stop).
#[derive(Debug)]
pub struct ServedIngress {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl ServedIngress {
    /// Serves a Stripe ingress that publishes to `topic` through `publisher`, on 127.0.0.1 (a free port).
    pub async fn start(publisher: Arc<dyn Publisher>, topic: &str) -> Result<ServedIngress, DemoError> {
        let router = WebhookIngress::builder().publisher(publisher).topic(topic).stripe(DEMO_STRIPE_SECRET).build()?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
        });
        tracing::info!(%addr, "webhook ingress listening");
        Ok(ServedIngress { addr, stop: Some(stop), task })
    }

    /// The URL of a source's endpoint (`http://127.0.0.1:PORT/webhooks/stripe`).
    pub fn url(&self, source: &str) -> String {
        format!("http://{}/webhooks/{source}", self.addr)
    }

    /// Stops serving and waits for the server to end.
    pub async fn stop(mut self) -> Result<(), DemoError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => Ok(result?),
            Err(e) => Err(DemoError::http("webhook server task", e)),
        }
    }
}

/// The Stripe `invoice.paid` event the demo sends: customer `cus_{user_id}` paid `amount` cents.
pub fn invoice_paid(event_id: &str, user_id: &str, amount: u64) -> String {
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "type": "invoice.paid",
        "api_version": "2024-06-20",
        "created": unix_now(),
        "data": {"object": {
            "id": format!("in_{event_id}"),
            "object": "invoice",
            "customer": format!("cus_{user_id}"),
            "amount_paid": amount,
            "currency": "usd",
        }},
    })
    .to_string()
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}

/// Posts `body` to the ingress's Stripe endpoint with a `Stripe-Signature` header.
async fn post(url: &str, signature: String, body: &str, what: &str) -> Result<WebhookCall, DemoError> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let request = Request::post(url)
        .header("content-type", "application/json")
        .header(STRIPE_SIGNATURE_HEADER, signature)
        .body(Full::new(Bytes::from(body.to_owned())))
        .map_err(|e| DemoError::http("building the request", e))?;
    let response = client.request(request).await.map_err(|e| DemoError::http("POST", e))?;
    let status = response.status();
    let bytes = response.into_body().collect().await.map_err(|e| DemoError::http("reading the response", e))?;
    let text = String::from_utf8_lossy(&bytes.to_bytes()).into_owned();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    let outcome = match json.get("status").and_then(|s| s.as_str()) {
        Some(s) if status == StatusCode::OK => s.to_owned(),
        _ => json.get("message").and_then(|e| e.as_str()).map(str::to_owned).unwrap_or(text),
    };
    let message_id = json.get("message_id").and_then(|m| m.as_str()).map(str::to_owned);
    tracing::info!(what, status = status.as_u16(), %outcome, "webhook posted");
    Ok(WebhookCall { what: what.to_owned(), status: status.as_u16(), outcome, message_id })
}

/// Sends Stripe's `invoice.paid` three ways: signed (published), Stripe's retry of the same event with a
/// fresh signature (acknowledged as a duplicate, not published again), and a forged signature (refused).
pub async fn send_stripe_webhooks(
    ingress: &ServedIngress,
    event_id: &str,
    user_id: &str,
) -> Result<Vec<WebhookCall>, DemoError> {
    let url = ingress.url("stripe");
    let body = invoice_paid(event_id, user_id, 1900);
    let now = unix_now();
    let mut calls = Vec::new();
    let signed = stripe_signature_header(DEMO_STRIPE_SECRET, now - 1, body.as_bytes());
    calls.push(post(&url, signed, &body, "signed invoice.paid").await?);
    let retry = stripe_signature_header(DEMO_STRIPE_SECRET, now, body.as_bytes());
    calls.push(post(&url, retry, &body, "Stripe's retry of it").await?);
    let forged = stripe_signature_header("whsec_not_the_secret", now, body.as_bytes());
    calls.push(post(&url, forged, &body, "forged signature").await?);
    Ok(calls)
}
