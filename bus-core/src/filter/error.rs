//! The one error type of the filter engine: an invalid policy, with AWS's reason text.

use std::fmt;

/// What kind of problem made a filter policy invalid.
///
/// Tests and callers match on this; the human-readable text is in [`FilterError::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FilterErrorKind {
    /// The policy text is not JSON (`failed to parse JSON. ...`).
    InvalidJson,
    /// The JSON is not a valid policy: wrong types, unknown operators, malformed operands
    /// (AWS's event-ruler parser messages, such as `Unrecognized match type foo`).
    Grammar,
    /// A nested object in a `MessageAttributes`-scope policy.
    NestedInAttributeScope,
    /// More than 5 keys (distinct leaf key paths).
    TooManyKeys,
    /// More than 150 combinations.
    TooComplex,
    /// The policy text is larger than 256 KB.
    TooLarge,
    /// A number operand of `numeric` or `anything-but` is outside -10⁹ … 10⁹.
    NumberOutOfRange,
    /// An exact-match number literal outside -10⁹ … 10⁹: AWS reportedly answers HTTP 500
    /// `InternalError` instead of `InvalidParameter`, so the policy is refused with this kind.
    Internal,
    /// The `FilterPolicyScope` is neither `MessageAttributes` nor `MessageBody`.
    InvalidScope,
}

impl FilterErrorKind {
    /// A short stable name for the kind (`"grammar"`, `"too-complex"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            FilterErrorKind::InvalidJson => "invalid-json",
            FilterErrorKind::Grammar => "grammar",
            FilterErrorKind::NestedInAttributeScope => "nested-in-attribute-scope",
            FilterErrorKind::TooManyKeys => "too-many-keys",
            FilterErrorKind::TooComplex => "too-complex",
            FilterErrorKind::TooLarge => "too-large",
            FilterErrorKind::NumberOutOfRange => "number-out-of-range",
            FilterErrorKind::Internal => "internal",
            FilterErrorKind::InvalidScope => "invalid-scope",
        }
    }
}

impl fmt::Display for FilterErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An invalid filter policy (or scope), with AWS's reason text.
///
/// `Display` prints the reason only, as AWS puts it after `FilterPolicy: `; [`FilterError::aws_message`]
/// gives the whole message SNS answers `SetSubscriptionAttributes` with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct FilterError {
    /// The category of the problem.
    pub kind: FilterErrorKind,
    /// AWS's reason text (without the `Invalid parameter: FilterPolicy: ` prefix).
    pub reason: String,
}

impl FilterError {
    /// An error of `kind` with this reason text.
    pub fn new(kind: FilterErrorKind, reason: impl Into<String>) -> Self {
        FilterError { kind, reason: reason.into() }
    }

    pub(crate) fn grammar(reason: impl Into<String>) -> Self {
        FilterError::new(FilterErrorKind::Grammar, reason)
    }

    /// The full message AWS answers `SetSubscriptionAttributes` with, for example
    /// `Invalid parameter: FilterPolicy: Empty arrays are not allowed`.
    ///
    /// The nested-scope error has no `FilterPolicy: ` part, the scope error already carries its whole
    /// text, and [`FilterErrorKind::Internal`] is AWS's HTTP 500 answer.
    pub fn aws_message(&self) -> String {
        match self.kind {
            FilterErrorKind::NestedInAttributeScope => format!("Invalid parameter: {}", self.reason),
            FilterErrorKind::InvalidScope | FilterErrorKind::Internal => self.reason.clone(),
            _ => format!("Invalid parameter: FilterPolicy: {}", self.reason),
        }
    }

    /// Whether AWS would answer with `InvalidParameter` (HTTP 400); `false` only for
    /// [`FilterErrorKind::Internal`].
    pub fn is_invalid_parameter(&self) -> bool {
        self.kind != FilterErrorKind::Internal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_reason_and_aws_message_adds_the_prefix() {
        let e = FilterError::grammar("Empty arrays are not allowed");
        assert_eq!(e.to_string(), "Empty arrays are not allowed");
        assert_eq!(e.aws_message(), "Invalid parameter: FilterPolicy: Empty arrays are not allowed");
        let n = FilterError::new(
            FilterErrorKind::NestedInAttributeScope,
            "Filter policy scope MessageAttributes does not support nested filter policy",
        );
        assert_eq!(
            n.aws_message(),
            "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
        );
        assert!(n.is_invalid_parameter());
        assert!(!FilterError::new(FilterErrorKind::Internal, "InternalError").is_invalid_parameter());
    }
}
