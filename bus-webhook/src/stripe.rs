//! Stripe's webhook signature scheme.
//!
//! Stripe sends `Stripe-Signature: t=1767225600,v1=5257a8...,v1=...` (and possibly other schemes such as
//! `v0`, which are ignored). The `v1` signature is the hex HMAC-SHA256 of `"{t}.{raw body}"` keyed with the
//! endpoint's signing secret (the whole `whsec_...` string). Several `v1` entries appear while a secret is
//! being rolled; the request is authentic if any of them matches any configured secret. The timestamp must
//! be within the tolerance (300 s by default, Stripe's libraries' default) of now.
//!
//! Deviation, on purpose: Stripe's libraries only reject timestamps too far in the past; this one also
//! rejects timestamps more than the tolerance in the future, so a signature cannot be made to outlive
//! the replay window.

use std::time::Duration;

use crate::clock::within;
use crate::error::WebhookError;
use crate::signature::{hmac_sha256, verify};

/// The header Stripe signs with (HTTP header names are case-insensitive).
pub const STRIPE_SIGNATURE_HEADER: &str = "stripe-signature";
/// The event type a Stripe webhook becomes.
pub const STRIPE_EVENT_TYPE: &str = "STRIPE_INCOMING_WEBHOOK";
/// Stripe's default tolerance: 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The configuration of the `stripe` source: signing secret(s) and tolerance.
#[derive(Clone)]
pub struct StripeConfig {
    pub(crate) secrets: Vec<Vec<u8>>,
    pub(crate) tolerance: Duration,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("tolerance", &self.tolerance)
            .finish()
    }
}

impl StripeConfig {
    /// The endpoint's signing secret (`whsec_...`), with the default tolerance.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        StripeConfig { secrets: vec![secret.as_ref().to_vec()], tolerance: DEFAULT_TOLERANCE }
    }

    /// Also accepts signatures made with `secret` (while rolling secrets).
    pub fn with_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secrets.push(secret.as_ref().to_vec());
        self
    }

    /// The largest accepted distance between the signed timestamp and now.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }
}

/// A parsed `Stripe-Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeSignature {
    /// The signed timestamp `t` (Unix seconds).
    pub timestamp: i64,
    /// The `v1` signatures, as sent (hex text).
    pub v1: Vec<String>,
}

impl StripeSignature {
    /// Parses the header value: comma-separated `key=value` items; `t` must appear (an integer) and at
    /// least one `v1`. Other items are ignored, as Stripe's libraries do.
    pub fn parse(header: &str) -> Result<StripeSignature, WebhookError> {
        let malformed = |reason| WebhookError::MalformedHeader { header: STRIPE_SIGNATURE_HEADER.to_owned(), reason };
        let mut timestamp = None;
        let mut v1 = Vec::new();
        for item in header.split(',') {
            let Some((key, value)) = item.trim().split_once('=') else {
                continue;
            };
            match key {
                "t" => timestamp = Some(value.parse::<i64>().map_err(|_| malformed("t is not an integer"))?),
                "v1" => v1.push(value.to_owned()),
                _ => {}
            }
        }
        let timestamp = timestamp.ok_or_else(|| malformed("no timestamp (t=...)"))?;
        if v1.is_empty() {
            return Err(malformed("no signature with the expected scheme v1"));
        }
        Ok(StripeSignature { timestamp, v1 })
    }
}

/// The `v1` signature Stripe would send for `body` at `timestamp`: hex HMAC-SHA256 of `"{t}.{body}"`.
pub fn stripe_signature(secret: impl AsRef<[u8]>, timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    hex::encode(hmac_sha256(secret.as_ref(), &[t.as_bytes(), b".", body]))
}

/// A whole `Stripe-Signature` header value for `body` at `timestamp` (`t=...,v1=...`): what a test or a
/// demo sends to the ingress.
pub fn stripe_signature_header(secret: impl AsRef<[u8]>, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", stripe_signature(secret, timestamp, body))
}

/// A verified Stripe request: its timestamp and the signature that matched (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verified {
    pub timestamp: i64,
    pub signature: String,
}

/// Verifies a `Stripe-Signature` header value against `body` at `now` (Unix seconds).
///
/// The signature is checked first, then the timestamp: a forged request is `InvalidSignature` whatever
/// its timestamp, and only an authentic but old one is `StaleTimestamp`.
pub(crate) fn verify_header(
    config: &StripeConfig,
    header: &str,
    body: &[u8],
    now: i64,
) -> Result<Verified, WebhookError> {
    let parsed = StripeSignature::parse(header)?;
    let t = parsed.timestamp.to_string();
    let parts: [&[u8]; 3] = [t.as_bytes(), b".", body];
    let matched = parsed.v1.iter().find(|candidate| {
        // Not hex, or not 32 bytes: cannot match (and says nothing about the secret).
        hex::decode(candidate.as_bytes())
            .map(|sig| config.secrets.iter().any(|secret| verify(secret, &parts, &sig)))
            .unwrap_or(false)
    });
    let Some(signature) = matched else {
        return Err(WebhookError::InvalidSignature);
    };
    if !within(parsed.timestamp, now, config.tolerance) {
        return Err(WebhookError::StaleTimestamp { timestamp: parsed.timestamp, now, tolerance: config.tolerance });
    }
    Ok(Verified { timestamp: parsed.timestamp, signature: signature.to_ascii_lowercase() })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const T: i64 = 1_767_225_600;
    const BODY: &[u8] = br#"{"id":"evt_test_1","object":"event","type":"payment_intent.succeeded"}"#;
    /// Computed independently at development time with Python's standard library:
    /// `hmac.new(b"whsec_test_secret", b"1767225600." + BODY, hashlib.sha256).hexdigest()`.
    const EXPECTED_V1: &str = "45b8a95776fbf3619f8f4766a0af27089e752a5ba31acdc5a7e65b7c7f450dcc";

    #[test]
    fn signs_like_stripe() {
        assert_eq!(stripe_signature(SECRET, T, BODY), EXPECTED_V1);
        assert_eq!(stripe_signature_header(SECRET, T, BODY), format!("t={T},v1={EXPECTED_V1}"));
    }

    #[test]
    fn parses_headers_as_stripe_libraries_do() {
        let s = StripeSignature::parse("t=12,v1=aa, v0=zz,v1=bb,junk").unwrap();
        assert_eq!(s, StripeSignature { timestamp: 12, v1: vec!["aa".into(), "bb".into()] });
        for bad in ["", "v1=aa", "t=12", "t=x,v1=aa", "t=12,v0=aa"] {
            assert!(
                matches!(StripeSignature::parse(bad), Err(WebhookError::MalformedHeader { .. })),
                "{bad:?} must be malformed"
            );
        }
    }

    #[test]
    fn verifies_the_fixed_vector_with_any_matching_v1_and_secret() {
        let config = StripeConfig::new(SECRET);
        let header = format!("t={T},v1={EXPECTED_V1}");
        assert_eq!(verify_header(&config, &header, BODY, T).unwrap().signature, EXPECTED_V1);
        // Several v1 entries (secret roll): one of them matches; upper-case hex is fine.
        let header = format!("t={T},v1={},v1=nothex,v1={}", "0".repeat(64), EXPECTED_V1.to_uppercase());
        assert!(verify_header(&config, &header, BODY, T + 299).is_ok());
        // A second configured secret.
        let rolled = StripeConfig::new("whsec_new").with_secret(SECRET);
        assert!(verify_header(&rolled, &format!("t={T},v1={EXPECTED_V1}"), BODY, T).is_ok());
    }

    #[test]
    fn rejects_forged_tampered_and_stale() {
        let config = StripeConfig::new(SECRET);
        let good = format!("t={T},v1={EXPECTED_V1}");
        let tampered = br#"{"id":"evt_test_1","object":"event","type":"payment_intent.failed"}"#;
        assert!(matches!(verify_header(&config, &good, tampered, T), Err(WebhookError::InvalidSignature)));
        let shifted = format!("t={},v1={EXPECTED_V1}", T + 1);
        assert!(matches!(verify_header(&config, &shifted, BODY, T), Err(WebhookError::InvalidSignature)));
        let other = StripeConfig::new("whsec_other");
        assert!(matches!(verify_header(&other, &good, BODY, T), Err(WebhookError::InvalidSignature)));
        for now in [T + 301, T - 301] {
            assert!(matches!(verify_header(&config, &good, BODY, now), Err(WebhookError::StaleTimestamp { .. })));
        }
        assert!(verify_header(&config, &good, BODY, T + 300).is_ok());
    }
}
