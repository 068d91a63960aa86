//! [`RequestCounter`]: an SDK interceptor that counts the HTTP requests sent, per service and operation.
//!
//! SNS and SQS bill per request, and every 64 KiB chunk of a request's payload is billed as one request.
//! The counter sees every attempt (a retried call counts once per attempt, as AWS bills it) and records the
//! request body size, from which [`OperationStats::billed_units`] gives an upper bound on billed requests
//! (the body is the encoded request, slightly larger than the payload AWS measures).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use aws_sdk_sqs::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_sqs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// One billing chunk: every 64 KiB of payload is billed as one request.
pub const BILLING_CHUNK_BYTES: u64 = 64 * 1024;

/// Counts of one operation (`sns`/`Publish`, `sqs`/`ReceiveMessage`, ...).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationStats {
    /// HTTP requests sent (every attempt, retries included).
    pub requests: u64,
    /// Total request body bytes.
    pub body_bytes: u64,
    /// Requests as AWS bills them: each request counts `ceil(body / 64 KiB)`, at least 1.
    pub billed_units: u64,
}

/// A snapshot of a [`RequestCounter`]: `(service, operation)` to its counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// Counts by `(service, operation)`, e.g. `("SNS", "PublishBatch")` as the SDK names them.
    pub by_operation: BTreeMap<(String, String), OperationStats>,
}

impl RequestCounts {
    /// Requests of one operation (any service).
    pub fn operation(&self, operation: &str) -> u64 {
        self.by_operation.iter().filter(|((_, op), _)| op == operation).map(|(_, s)| s.requests).sum()
    }

    /// All requests to a service (`"SNS"`, `"SQS"`, case-insensitive).
    pub fn service(&self, service: &str) -> OperationStats {
        self.by_operation.iter().filter(|((s, _), _)| s.eq_ignore_ascii_case(service)).fold(
            OperationStats::default(),
            |acc, (_, s)| OperationStats {
                requests: acc.requests + s.requests,
                body_bytes: acc.body_bytes + s.body_bytes,
                billed_units: acc.billed_units + s.billed_units,
            },
        )
    }

    /// All requests.
    pub fn total(&self) -> u64 {
        self.by_operation.values().map(|s| s.requests).sum()
    }

    /// The counts since `earlier` (a snapshot taken before).
    pub fn since(&self, earlier: &RequestCounts) -> RequestCounts {
        let mut by_operation = BTreeMap::new();
        for (k, s) in &self.by_operation {
            let e = earlier.by_operation.get(k).copied().unwrap_or_default();
            let d = OperationStats {
                requests: s.requests - e.requests,
                body_bytes: s.body_bytes - e.body_bytes,
                billed_units: s.billed_units - e.billed_units,
            };
            if d.requests > 0 {
                by_operation.insert(k.clone(), d);
            }
        }
        RequestCounts { by_operation }
    }
}

impl fmt::Display for RequestCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for ((service, op), s) in &self.by_operation {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            write!(f, "{service}.{op}={}", s.requests)?;
        }
        Ok(())
    }
}

/// An interceptor counting requests per operation. Cheap to clone; clones share the counts.
///
/// Add it to the SNS and SQS clients with [`crate::AwsBackendBuilder::with_request_counter`], or to any
/// SDK config builder with `.interceptor(counter.clone())`.
///
/// ```
/// let counter = bus_aws::RequestCounter::new();
/// assert_eq!(counter.snapshot().total(), 0);
/// ```
#[derive(Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<(String, String), OperationStats>>>,
}

impl fmt::Debug for RequestCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestCounter").field("counts", &self.snapshot()).finish()
    }
}

impl RequestCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one request; used by the interceptor, public for custom transports.
    pub fn record(&self, service: &str, operation: &str, body_bytes: u64) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let s = counts.entry((service.to_owned(), operation.to_owned())).or_default();
        s.requests += 1;
        s.body_bytes += body_bytes;
        s.billed_units += body_bytes.div_ceil(BILLING_CHUNK_BYTES).max(1);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> RequestCounts {
        RequestCounts { by_operation: self.counts.lock().unwrap_or_else(|p| p.into_inner()).clone() }
    }

    /// Sets every count back to zero.
    pub fn reset(&self) {
        self.counts.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "bus_aws::RequestCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let (service, operation) = match cfg.load::<Metadata>() {
            Some(m) => (m.service().to_owned(), m.name().to_owned()),
            None => ("unknown".to_owned(), "unknown".to_owned()),
        };
        let bytes = context.request().body().content_length().unwrap_or(0);
        self.record(&service, &operation, bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_bytes_and_billed_chunks() {
        let c = RequestCounter::new();
        c.record("SNS", "PublishBatch", 1_000);
        c.record("SNS", "PublishBatch", 64 * 1024 + 1);
        c.record("SQS", "ReceiveMessage", 0);
        let s = c.snapshot();
        assert_eq!(s.operation("PublishBatch"), 2);
        assert_eq!(s.service("sns").billed_units, 1 + 2);
        assert_eq!(s.service("SQS").billed_units, 1);
        assert_eq!(s.total(), 3);
        assert_eq!(s.to_string(), "SNS.PublishBatch=2, SQS.ReceiveMessage=1");
        let before = c.snapshot();
        c.record("SQS", "DeleteMessageBatch", 10);
        let d = c.snapshot().since(&before);
        assert_eq!(d.total(), 1);
        assert_eq!(d.operation("DeleteMessageBatch"), 1);
        c.reset();
        assert_eq!(c.snapshot().total(), 0);
    }
}
