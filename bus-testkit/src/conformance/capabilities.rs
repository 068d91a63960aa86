//! [`Capabilities`]: what a backend cannot do, stated once instead of copying tests.

use std::fmt;

/// What a backend supports. A scenario that needs a capability the backend lacks is reported as
/// not applicable (never silently dropped, never counted as passed).
///
/// Build one with [`Capabilities::full`] (everything AWS does, the memory backend's promise) or
/// [`Capabilities::moto`] (the local SNS/SQS server the AWS backend is tested against), and adjust
/// with struct update syntax:
///
/// ```
/// use bus_testkit::conformance::Capabilities;
/// let caps = Capabilities { cidr: false, ..Capabilities::full() };
/// assert!(!caps.cidr && caps.wildcard);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Filter policies with the `wildcard` operator.
    pub wildcard: bool,
    /// Filter policies with the `cidr` operator.
    pub cidr: bool,
    /// `anything-but` with `{"suffix": ...}` and `{"wildcard": ...}` operands.
    pub anything_but_suffix_wildcard: bool,
    /// Match expressions (`anything-but`, numeric lists) applied element-wise to `String.Array`
    /// attributes: the key matches when any element is accepted.
    pub string_array_operators: bool,
    /// `equals-ignore-case` ignores the case of the policy's operand too, not only the message's.
    pub equals_ignore_case_operand_case: bool,
    /// `$or` in `MessageBody`-scope policies.
    pub or_in_body: bool,
    /// `{"exists": false}` does not match a message without any attribute (attribute scope), as the
    /// SNS docs state.
    pub exists_false_without_attributes: bool,
    /// Raw message delivery of `Binary` attributes to SQS (received back as the same bytes).
    pub raw_binary_attributes: bool,
    /// FIFO topics and queues: ordering per message group, group blocking, deduplication.
    pub fifo: bool,
    /// A FIFO topic with content-based deduplication passes its deduplication id to a subscribed FIFO
    /// queue (which then drops a duplicate body even though the envelopes differ).
    pub fifo_topic_content_dedup: bool,
    /// A per-message delay on `Backend::send` (SQS `DelaySeconds` on `SendMessage`).
    pub delay_per_message: bool,
    /// `Backend::purge` empties a queue at once.
    pub purge: bool,
    /// A second purge of the same queue within 60 s fails with `PurgeInProgress`.
    pub purge_rate_limit: bool,
    /// `queue_stats` settles on exact counts within a few seconds.
    pub stats_exact: bool,
    /// A changed filter policy or raw-delivery setting applies to the very next publish (AWS documents
    /// up to 15 minutes for subscription changes to take full effect).
    pub immediate_subscription_changes: bool,
    /// The SNS envelope carries a non-empty base64 `Signature` and a `SigningCertURL` to a `.pem`.
    pub envelope_signature: bool,
    /// The backend runs on the wall clock: scenarios that must wait minutes (retention expiry, the
    /// 5-minute FIFO deduplication window) are not applicable. When `false`, the runner starts a paused
    /// tokio clock and those waits are free.
    pub real_time: bool,
}

impl Capabilities {
    /// Everything AWS does, on virtual time: what the memory backend promises.
    pub const fn full() -> Self {
        Capabilities {
            wildcard: true,
            cidr: true,
            anything_but_suffix_wildcard: true,
            string_array_operators: true,
            equals_ignore_case_operand_case: true,
            or_in_body: true,
            exists_false_without_attributes: true,
            raw_binary_attributes: true,
            fifo: true,
            fifo_topic_content_dedup: true,
            delay_per_message: true,
            purge: true,
            purge_rate_limit: true,
            stats_exact: true,
            immediate_subscription_changes: true,
            envelope_signature: true,
            real_time: false,
        }
    }

    /// The AWS backend against moto 5.2.1's server (`moto_server`), checked against moto's source
    /// (`moto/sns/utils.py` `FilterPolicyMatcher`, `moto/sns/models.py`, `moto/sqs/models.py`):
    ///
    /// - `wildcard`, `cidr`: off. moto's policy validation rejects both operators
    ///   (`Unrecognized match type wildcard`), so the subscription cannot even be created.
    /// - `anything_but_suffix_wildcard`: off. moto accepts the policy but its `anything-but` matcher
    ///   only knows `prefix` and returns "no match" for anything else.
    /// - `string_array_operators`: off. moto turns a `String.Array` value into its characters
    ///   (`list(attr["Value"])`) for `anything-but`, and `numeric`/`prefix` ignore `String.Array`.
    /// - `equals_ignore_case_operand_case`: off. moto lower-cases the message's value but compares it
    ///   with the operand as written, so `"TeNNis"` never matches.
    /// - `or_in_body`: off. moto evaluates `$or` branches of a body policy as attributes and the
    ///   publish fails with a server error (`string indices must be integers`).
    /// - `exists_false_without_attributes`: off. moto delivers a message with no attributes to
    ///   `{"exists": false}`; the SNS docs say it does not match.
    /// - `raw_binary_attributes`: off. With raw delivery moto stores the Binary value as base64 text
    ///   and `ReceiveMessage` then fails computing its MD5 (`Strings must be encoded before hashing`).
    /// - `fifo_topic_content_dedup`: off. moto does not compute a deduplication id for a FIFO topic
    ///   with content-based deduplication; the subscribed queue rejects the message.
    /// - `purge_rate_limit`: off. moto purges as often as asked.
    /// - `real_time`: on (it is a real server).
    ///
    /// Everything else (FIFO groups and explicit deduplication, delays, purge, exact counts, the
    /// envelope's signature fields, `Subject` in the envelope only when published with one and never
    /// with raw delivery) moto does. moto's own `Subject` checks differ from AWS's (it accepts an empty
    /// subject and control characters, refuses 101 characters with another text, and drops a
    /// `PublishBatch` entry with a long subject from both `Successful` and `Failed`), but the AWS
    /// backend refuses such subjects locally, before any request, so the `subject` scenarios apply. Each `false` above was confirmed by running its
    /// scenarios against moto 5.2.1 with the capability on: they fail as described.
    pub const fn moto() -> Self {
        Capabilities {
            wildcard: false,
            cidr: false,
            anything_but_suffix_wildcard: false,
            string_array_operators: false,
            equals_ignore_case_operand_case: false,
            or_in_body: false,
            exists_false_without_attributes: false,
            raw_binary_attributes: false,
            fifo: true,
            fifo_topic_content_dedup: false,
            delay_per_message: true,
            purge: true,
            purge_rate_limit: false,
            stats_exact: true,
            immediate_subscription_changes: true,
            envelope_signature: true,
            real_time: true,
        }
    }

    /// The AWS backend against Amazon Web Services itself: every SNS/SQS feature, in real time, but
    /// eventually consistent where AWS says so:
    ///
    /// - `stats_exact`: off. `ApproximateNumberOf*` are approximate and can lag for a minute.
    /// - `purge`, `purge_rate_limit`: off. A purge takes up to 60 s, and messages sent around it may or
    ///   may not be deleted, so the scenarios' checks would race it.
    /// - `immediate_subscription_changes`: off. Filter policy changes take up to 15 minutes.
    /// - `real_time`: on.
    pub const fn aws() -> Self {
        Capabilities {
            stats_exact: false,
            purge: false,
            purge_rate_limit: false,
            immediate_subscription_changes: false,
            real_time: true,
            ..Capabilities::full()
        }
    }

    /// Whether the backend has `capability`.
    pub fn supports(&self, capability: Capability) -> bool {
        match capability {
            Capability::Wildcard => self.wildcard,
            Capability::Cidr => self.cidr,
            Capability::AnythingButSuffixWildcard => self.anything_but_suffix_wildcard,
            Capability::StringArrayOperators => self.string_array_operators,
            Capability::EqualsIgnoreCaseOperandCase => self.equals_ignore_case_operand_case,
            Capability::OrInBody => self.or_in_body,
            Capability::ExistsFalseWithoutAttributes => self.exists_false_without_attributes,
            Capability::RawBinaryAttributes => self.raw_binary_attributes,
            Capability::Fifo => self.fifo,
            Capability::FifoTopicContentDedup => self.fifo_topic_content_dedup,
            Capability::DelayPerMessage => self.delay_per_message,
            Capability::Purge => self.purge,
            Capability::PurgeRateLimit => self.purge_rate_limit,
            Capability::StatsExact => self.stats_exact,
            Capability::ImmediateSubscriptionChanges => self.immediate_subscription_changes,
            Capability::EnvelopeSignature => self.envelope_signature,
            Capability::LongWaits => !self.real_time,
        }
    }

    /// The capabilities of `required` that the backend lacks.
    pub fn missing(&self, required: &[Capability]) -> Vec<Capability> {
        required.iter().copied().filter(|c| !self.supports(*c)).collect()
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities::full()
    }
}

/// One capability a scenario may need (the fields of [`Capabilities`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// [`Capabilities::wildcard`].
    Wildcard,
    /// [`Capabilities::cidr`].
    Cidr,
    /// [`Capabilities::anything_but_suffix_wildcard`].
    AnythingButSuffixWildcard,
    /// [`Capabilities::string_array_operators`].
    StringArrayOperators,
    /// [`Capabilities::equals_ignore_case_operand_case`].
    EqualsIgnoreCaseOperandCase,
    /// [`Capabilities::or_in_body`].
    OrInBody,
    /// [`Capabilities::exists_false_without_attributes`].
    ExistsFalseWithoutAttributes,
    /// [`Capabilities::raw_binary_attributes`].
    RawBinaryAttributes,
    /// [`Capabilities::fifo`].
    Fifo,
    /// [`Capabilities::fifo_topic_content_dedup`].
    FifoTopicContentDedup,
    /// [`Capabilities::delay_per_message`].
    DelayPerMessage,
    /// [`Capabilities::purge`].
    Purge,
    /// [`Capabilities::purge_rate_limit`].
    PurgeRateLimit,
    /// [`Capabilities::stats_exact`].
    StatsExact,
    /// [`Capabilities::immediate_subscription_changes`].
    ImmediateSubscriptionChanges,
    /// [`Capabilities::envelope_signature`].
    EnvelopeSignature,
    /// Waits of minutes are affordable: the backend is not [`Capabilities::real_time`].
    LongWaits,
}

impl Capability {
    /// The field name in [`Capabilities`] (`long_waits` for [`Capability::LongWaits`], i.e. `!real_time`).
    pub fn name(self) -> &'static str {
        match self {
            Capability::Wildcard => "wildcard",
            Capability::Cidr => "cidr",
            Capability::AnythingButSuffixWildcard => "anything_but_suffix_wildcard",
            Capability::StringArrayOperators => "string_array_operators",
            Capability::EqualsIgnoreCaseOperandCase => "equals_ignore_case_operand_case",
            Capability::OrInBody => "or_in_body",
            Capability::ExistsFalseWithoutAttributes => "exists_false_without_attributes",
            Capability::RawBinaryAttributes => "raw_binary_attributes",
            Capability::Fifo => "fifo",
            Capability::FifoTopicContentDedup => "fifo_topic_content_dedup",
            Capability::DelayPerMessage => "delay_per_message",
            Capability::Purge => "purge",
            Capability::PurgeRateLimit => "purge_rate_limit",
            Capability::StatsExact => "stats_exact",
            Capability::ImmediateSubscriptionChanges => "immediate_subscription_changes",
            Capability::EnvelopeSignature => "envelope_signature",
            Capability::LongWaits => "long_waits (not real_time)",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
