//! The generic HMAC-SHA256 source: a signature header over the raw body (or over `"{timestamp}.{body}"`
//! when a timestamp header is configured).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderName};
use base64::Engine as _;

use crate::clock::within;
use crate::error::WebhookError;
use crate::signature::{hmac_sha256, verify};
use crate::stripe::DEFAULT_TOLERANCE;

/// How the signature is written in its header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignatureEncoding {
    /// Hex, either case (the default).
    #[default]
    Hex,
    /// Standard base64 (with padding).
    Base64,
}

/// The configuration of a generic HMAC-SHA256 source.
///
/// - The signature header (default `x-signature`) holds the HMAC-SHA256 of the signed content, in hex or
///   base64, optionally after a prefix such as `sha256=` (GitHub's `X-Hub-Signature-256`).
/// - Without a timestamp header the signed content is the raw body. With one (Unix seconds), the signed
///   content is `"{timestamp}.{raw body}"` and the timestamp must be within the tolerance (default 300 s)
///   of now, and an exact replay of an accepted request is refused. Without a timestamp there is no
///   replay window: the same body always has the same signature, so a resent request cannot be told from
///   a legitimate retry; configure an id header to make such repeats publish once.
/// - The id header (optional) names the delivery; a repeat of an id already published is acknowledged
///   and not published again.
/// - The event type defaults to the source name upper-cased with `_INCOMING_WEBHOOK` appended
///   (`github` -> `GITHUB_INCOMING_WEBHOOK`).
///
/// ```
/// use bus_webhook::{HmacConfig, SignatureEncoding};
/// let github = HmacConfig::new("s3cret")
///     .header("X-Hub-Signature-256")
///     .prefix("sha256=")
///     .id_header("X-GitHub-Delivery")
///     .event_type("GITHUB_WEBHOOK");
/// let base64_signed = HmacConfig::new("s3cret").encoding(SignatureEncoding::Base64).timestamp_header("X-Timestamp");
/// # let _ = (github, base64_signed);
/// ```
#[derive(Clone)]
pub struct HmacConfig {
    pub(crate) secrets: Vec<Vec<u8>>,
    pub(crate) header: String,
    pub(crate) encoding: SignatureEncoding,
    pub(crate) prefix: Option<String>,
    pub(crate) timestamp_header: Option<String>,
    pub(crate) tolerance: Duration,
    pub(crate) id_header: Option<String>,
    pub(crate) event_type: Option<String>,
}

impl std::fmt::Debug for HmacConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HmacConfig")
            .field("secrets", &format_args!("[{} redacted]", self.secrets.len()))
            .field("header", &self.header)
            .field("encoding", &self.encoding)
            .field("prefix", &self.prefix)
            .field("timestamp_header", &self.timestamp_header)
            .field("tolerance", &self.tolerance)
            .field("id_header", &self.id_header)
            .field("event_type", &self.event_type)
            .finish()
    }
}

impl HmacConfig {
    /// A source signed with `secret`: hex signature in `x-signature` over the raw body.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        HmacConfig {
            secrets: vec![secret.as_ref().to_vec()],
            header: "x-signature".to_owned(),
            encoding: SignatureEncoding::Hex,
            prefix: None,
            timestamp_header: None,
            tolerance: DEFAULT_TOLERANCE,
            id_header: None,
            event_type: None,
        }
    }

    /// Also accepts signatures made with `secret` (while rolling secrets).
    pub fn with_secret(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secrets.push(secret.as_ref().to_vec());
        self
    }

    /// The header that carries the signature.
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.header = name.into();
        self
    }

    /// How the signature is encoded.
    pub fn encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// A prefix the signature header value starts with (`sha256=`); it is required when set.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// The header that carries the signed timestamp (Unix seconds); see the type's docs.
    pub fn timestamp_header(mut self, name: impl Into<String>) -> Self {
        self.timestamp_header = Some(name.into());
        self
    }

    /// The largest accepted distance between the signed timestamp and now.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The header that carries the delivery id used for deduplication.
    pub fn id_header(mut self, name: impl Into<String>) -> Self {
        self.id_header = Some(name.into());
        self
    }

    /// The event type the webhooks of this source become.
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }

    /// Checks header names, secrets and the event type.
    pub(crate) fn validate(&self, source: &str) -> Result<(), WebhookError> {
        let invalid = |reason: String| WebhookError::InvalidConfig(format!("source {source:?}: {reason}"));
        if self.secrets.iter().any(|s| s.is_empty()) {
            return Err(invalid("a secret must not be empty".into()));
        }
        let headers = [Some(&self.header), self.timestamp_header.as_ref(), self.id_header.as_ref()];
        for name in headers.into_iter().flatten() {
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid(format!("{name:?} is not a header name")))?;
        }
        if self.event_type.as_ref().is_some_and(|t| t.is_empty()) {
            return Err(invalid("the event type must not be empty".into()));
        }
        Ok(())
    }

    /// The event type for `source`.
    pub(crate) fn event_type_for(&self, source: &str) -> String {
        self.event_type.clone().unwrap_or_else(|| {
            let base: String =
                source.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
            format!("{base}_INCOMING_WEBHOOK")
        })
    }

    /// The signature header value for `body` (and `timestamp`, when the source signs one): what a sender
    /// of this source puts in [`HmacConfig::header`]. Uses the first secret.
    pub fn sign(&self, timestamp: Option<i64>, body: &[u8]) -> String {
        let t = timestamp.map(|t| t.to_string());
        let mac = match &t {
            Some(t) => hmac_sha256(&self.secrets[0], &[t.as_bytes(), b".", body]),
            None => hmac_sha256(&self.secrets[0], &[body]),
        };
        let encoded = match self.encoding {
            SignatureEncoding::Hex => hex::encode(mac),
            SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(mac),
        };
        format!("{}{encoded}", self.prefix.as_deref().unwrap_or(""))
    }
}

/// A verified generic request: the timestamp it signed (if any) and its signature (as sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verified {
    pub timestamp: Option<i64>,
    pub signature: String,
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, WebhookError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim()))
            .map_err(|_| WebhookError::MalformedHeader { header: name.to_owned(), reason: "not visible ASCII" }),
    }
}

/// Verifies a request of a generic source at `now` (Unix seconds).
pub(crate) fn verify_request(
    config: &HmacConfig,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<Verified, WebhookError> {
    let missing = |name: &str| WebhookError::MissingHeader { header: name.to_owned() };
    let malformed = |name: &str, reason| WebhookError::MalformedHeader { header: name.to_owned(), reason };
    let value = header_text(headers, &config.header)?.ok_or_else(|| missing(&config.header))?;
    let encoded = match &config.prefix {
        Some(p) => value.strip_prefix(p.as_str()).ok_or_else(|| malformed(&config.header, "missing the prefix"))?,
        None => value,
    };
    let signature = match config.encoding {
        SignatureEncoding::Hex => hex::decode(encoded).map_err(|_| malformed(&config.header, "not hex"))?,
        SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| malformed(&config.header, "not base64"))?,
    };
    let timestamp = match &config.timestamp_header {
        None => None,
        Some(name) => {
            let text = header_text(headers, name)?.ok_or_else(|| missing(name))?;
            Some(text.parse::<i64>().map_err(|_| malformed(name, "not an integer (Unix seconds)"))?)
        }
    };
    let t = timestamp.map(|t| t.to_string());
    let parts: Vec<&[u8]> = match &t {
        Some(t) => vec![t.as_bytes(), b".", body],
        None => vec![body],
    };
    if !config.secrets.iter().any(|secret| verify(secret, &parts, &signature)) {
        return Err(WebhookError::InvalidSignature);
    }
    if let Some(t) = timestamp {
        if !within(t, now, config.tolerance) {
            return Err(WebhookError::StaleTimestamp { timestamp: t, now, tolerance: config.tolerance });
        }
    }
    Ok(Verified { timestamp, signature: encoded.to_owned() })
}

/// The delivery id from the configured id header, if any.
pub(crate) fn delivery_id(config: &HmacConfig, headers: &HeaderMap) -> Result<Option<String>, WebhookError> {
    match &config.id_header {
        None => Ok(None),
        Some(name) => Ok(header_text(headers, name)?.filter(|s| !s.is_empty()).map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"hello":"world"}"#;
    /// Computed independently with Python: `hmac.new(b"generic-secret", BODY, hashlib.sha256)`,
    /// `.hexdigest()` and `base64.b64encode(....digest())`.
    const HEX: &str = "9858e8fea916b4f991c984891b199af820f78dd387b5c596a48934a46b5d279a";
    const B64: &str = "mFjo/qkWtPmRyYSJGxma+CD3jdOHtcWWpIk0pGtdJ5o=";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn fixed_vectors_in_hex_and_base64() {
        let hex_cfg = HmacConfig::new("generic-secret");
        assert_eq!(hex_cfg.sign(None, BODY), HEX);
        assert!(verify_request(&hex_cfg, &headers(&[("x-signature", HEX)]), BODY, 0).is_ok());
        let b64 = HmacConfig::new("generic-secret").encoding(SignatureEncoding::Base64).header("X-Sig");
        assert_eq!(b64.sign(None, BODY), B64);
        assert!(verify_request(&b64, &headers(&[("x-sig", B64)]), BODY, 0).is_ok());
        let prefixed = HmacConfig::new("generic-secret").prefix("sha256=");
        let value = format!("sha256={HEX}");
        assert!(verify_request(&prefixed, &headers(&[("x-signature", &value)]), BODY, 0).is_ok());
        assert!(matches!(
            verify_request(&prefixed, &headers(&[("x-signature", HEX)]), BODY, 0),
            Err(WebhookError::MalformedHeader { .. })
        ));
    }

    #[test]
    fn timestamps_are_signed_and_bounded() {
        let cfg = HmacConfig::new("k").timestamp_header("x-timestamp");
        let sig = cfg.sign(Some(1000), BODY);
        let ok = headers(&[("x-signature", &sig), ("x-timestamp", "1000")]);
        assert_eq!(verify_request(&cfg, &ok, BODY, 1200).unwrap().timestamp, Some(1000));
        assert!(matches!(verify_request(&cfg, &ok, BODY, 1301), Err(WebhookError::StaleTimestamp { .. })));
        let moved = headers(&[("x-signature", &sig), ("x-timestamp", "1001")]);
        assert!(matches!(verify_request(&cfg, &moved, BODY, 1000), Err(WebhookError::InvalidSignature)));
        let missing = headers(&[("x-signature", &sig)]);
        assert!(matches!(verify_request(&cfg, &missing, BODY, 1000), Err(WebhookError::MissingHeader { .. })));
    }

    #[test]
    fn config_is_validated_and_event_types_derived() {
        assert!(HmacConfig::new("").validate("s").is_err());
        assert!(HmacConfig::new("k").header("bad header").validate("s").is_err());
        assert!(HmacConfig::new("k").validate("s").is_ok());
        assert_eq!(HmacConfig::new("k").event_type_for("git-hub"), "GIT_HUB_INCOMING_WEBHOOK");
        assert_eq!(HmacConfig::new("k").event_type("X").event_type_for("github"), "X");
    }
}
