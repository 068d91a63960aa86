//! The HTTP front: one route for every AWS request (`POST /`, any path, or `GET` with a query string),
//! told apart by protocol: `X-Amz-Target: AmazonSQS.*` is SQS's JSON protocol; otherwise the form's
//! `Action` picks SNS or SQS (query protocol). Bodies over the limit, bodies that are not UTF-8 forms, and
//! unknown actions get AWS-shaped errors; no request can take the server down.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::service::{request_id, Service};
use crate::sns::errors::SnsError;
use crate::sns::form::Form;
use crate::sqs::errors::SqsError;

/// The path of the health check (`GET`, answers `{"status":"running"}`).
pub const HEALTH_PATH: &str = "/_bus/health";

/// The router of a server.
pub(crate) fn router(svc: Arc<Service>) -> Router {
    Router::new().route(HEALTH_PATH, get(health)).fallback(handle).with_state(svc)
}

async fn health() -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"running"}"#).into_response()
}

/// `http://host:port` as the client addressed the server (its `Host` header), else the bound address.
fn base_url(svc: &Service, headers: &axum::http::HeaderMap) -> String {
    match headers.get(header::HOST).and_then(|h| h.to_str().ok()).filter(|h| !h.is_empty()) {
        Some(host) => format!("http://{host}"),
        None => format!("http://{}:{}", svc.config.host, svc.config.port),
    }
}

async fn handle(State(svc): State<Arc<Service>>, req: Request<Body>) -> Response {
    let rid = request_id();
    let (parts, body) = req.into_parts();
    let target = parts.headers.get("x-amz-target").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let limit = svc.config.max_body_bytes;
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => {
            return match target {
                Some(_) => SqsError::too_large(limit).response(&rid),
                None => SnsError::too_large(limit).response(&rid),
            }
        }
    };
    if let Some(target) = target {
        let base = base_url(&svc, &parts.headers);
        return crate::sqs::handle_json(&svc, &target, &bytes, &base, &rid).await;
    }
    let source: &[u8] = if parts.method == Method::GET { parts.uri.query().unwrap_or("").as_bytes() } else { &bytes };
    let form = match Form::parse(source) {
        Ok(f) => f,
        Err(e) => return e.response(&rid),
    };
    match form.get("Action") {
        None | Some("") => SnsError::missing_action().response(&rid),
        Some(action) if crate::sns::is_action(action) => crate::sns::handle(&svc, action, &form, &rid).await,
        Some(action) if crate::sqs::query::is_action(action) => {
            let base = base_url(&svc, &parts.headers);
            crate::sqs::query::handle(&svc, action, &form, parts.uri.path(), &base, &rid).await
        }
        Some(action) => SnsError::invalid_action(action).response(&rid),
    }
}
