//! Filter policies with `MessageBody` scope: nested keys, operators on body values, arrays, `$or`.

use bus_core::Backend;
use serde_json::json;

use super::error::ConformanceError;
use super::filter::{run_cases, FilterCase};
use super::names::Names;

/// Body scope: nested keys, operators on nested values, arrays of objects, `exists` inside an
/// object; a body that is not a JSON object, or has the value at another level, does not match.
pub async fn filter_body_nested(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let nested = FilterCase::body(json!({"detail": {"status": ["active"], "count": [{"numeric": [">=", 10]}]}}))
        .no_body("count-too-small", json!({"detail": {"status": "active", "count": 5}}))
        .no_body("status-differs", json!({"detail": {"status": "inactive", "count": 12}}))
        .no_body("not-nested", json!({"status": "active", "count": 12}))
        .no_body("detail-is-a-string", json!({"detail": "active"}))
        .no_text("plain text, not JSON")
        .yes_body("exact-bound", json!({"detail": {"status": "active", "count": 10}}))
        .yes_body("matches", json!({"detail": {"status": "active", "count": 12, "extra": true}}));
    let operators = FilterCase::body(json!({
        "user": {"email": [{"suffix": "@example.com"}]},
        "kind": [{"prefix": "order."}]
    }))
    .no_body("other-domain", json!({"user": {"email": "a@example.org"}, "kind": "order.created"}))
    .no_body("other-kind", json!({"user": {"email": "a@example.com"}, "kind": "payment.created"}))
    .yes_body("matches", json!({"user": {"email": "a@example.com"}, "kind": "order.created"}));
    let arrays = FilterCase::body(json!({"Records": {"eventName": [{"prefix": "ObjectCreated:"}]}}))
        .no_body("no-created", json!({"Records": [{"eventName": "ObjectRemoved:Delete"}]}))
        .yes_body(
            "one-of-many",
            json!({"Records": [{"eventName": "ObjectRemoved:Delete"}, {"eventName": "ObjectCreated:Copy"}]}),
        )
        .yes_body("single", json!({"Records": [{"eventName": "ObjectCreated:Put"}]}));
    let exists = FilterCase::body(json!({"detail": {"error": [{"exists": false}]}}))
        .no_body("has-error", json!({"detail": {"error": "timeout"}}))
        .yes_body("no-error", json!({"detail": {"ok": true}}));
    run_cases(backend, names, "body", vec![nested, operators, arrays, exists]).await
}

/// `$or` in a body policy, with a nested alternative.
pub async fn filter_or_body(backend: &dyn Backend, names: &Names) -> Result<(), ConformanceError> {
    let case = FilterCase::body(json!({"$or": [{"kind": ["a"]}, {"detail": {"level": [{"numeric": [">", 5]}]}}]}))
        .no_body("neither", json!({"kind": "b", "detail": {"level": 3}}))
        .yes_body("second", json!({"kind": "b", "detail": {"level": 7}}))
        .yes_body("first", json!({"kind": "a"}));
    run_cases(backend, names, "or-body", vec![case]).await
}
