//! What the SNS/SQS server behind an [`AwsBackend`](crate::AwsBackend) does, where servers differ.
//!
//! The backend hands filter policies to SNS unchanged, so which operators work is the server's
//! business: AWS implements them all; the local test server (moto) lacks some. Tests and the
//! conformance suite read these flags to skip exactly the scenarios a server cannot run, never to
//! weaken the engine or an assertion.

/// Server capabilities that differ between AWS and a local SNS/SQS server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerCapabilities {
    /// A short name (`aws`, `moto-5.2.1`).
    pub name: &'static str,
    /// SNS delivers to SQS after `Publish` returns (AWS), rather than inside it (moto). Tests must poll
    /// either way; this only says whether "published but not yet visible" can be observed.
    pub asynchronous_delivery: bool,
    /// The `wildcard` filter operator (`{"wildcard": "a*b"}`).
    pub filter_wildcard: bool,
    /// The `cidr` filter operator (`{"cidr": "10.0.0.0/24"}`).
    pub filter_cidr: bool,
    /// `$or` and `exists` are validated and evaluated exactly as AWS does (moto evaluates the common
    /// cases but accepts some policies AWS rejects and differs on `exists` over nested/array values).
    pub filter_or_exists_exact: bool,
    /// `anything-but` with `suffix`/`wildcard`/`equals-ignore-case` inside (moto knows `prefix` only).
    pub filter_anything_but_operators: bool,
    /// `$or` in `MessageBody` scope (moto 5.2.1 fails the publish with HTTP 500; `$or` in attribute scope
    /// works).
    pub filter_or_in_body_scope: bool,
    /// `equals-ignore-case` ignores the case of the policy value too (moto lower-cases only the message
    /// value, so only lower-case policy values match).
    pub filter_equals_ignore_case_policy_value: bool,
    /// Raw delivery of a `Binary` attribute yields a receivable SQS message (moto 5.2.1 stores the value as
    /// text and then fails every `ReceiveMessage` of that queue with HTTP 500 while the message is there).
    pub raw_delivery_binary_attributes: bool,
    /// `Publish` to a FIFO topic returns the `SequenceNumber` (moto returns only the `MessageId`).
    pub fifo_publish_sequence_number: bool,
    /// A FIFO topic's content-based deduplication id is passed on to its FIFO queues, so the queue needs
    /// no content-based deduplication of its own (moto passes none: the queue must have it on).
    pub fifo_topic_dedup_reaches_queue: bool,
    /// AWS's policy complexity and length limits and reason texts are enforced server-side.
    pub filter_aws_validation: bool,
    /// The queue access policy (`aws:SourceArn`) is enforced on SNS → SQS delivery (moto stores it only).
    pub enforces_queue_policy: bool,
    /// `SetQueueAttributes` leaves attributes it does not name unchanged (moto 5.2.1 clears the `Policy`
    /// when a call leaves it out; the provisioning sends the declared policy along with every update).
    pub set_queue_attributes_keeps_policy: bool,
    /// A change of `FilterPolicyScope` alone applies to the existing policy (moto compiles its matcher
    /// when `FilterPolicy` is set and keeps the old scope; the provisioning re-sends the policy after a
    /// scope change, so it works on both).
    pub scope_change_rebuilds_filter: bool,
}

impl ServerCapabilities {
    /// Amazon Web Services itself.
    pub const AWS: ServerCapabilities = ServerCapabilities {
        name: "aws",
        asynchronous_delivery: true,
        filter_wildcard: true,
        filter_cidr: true,
        filter_or_exists_exact: true,
        filter_anything_but_operators: true,
        filter_or_in_body_scope: true,
        filter_equals_ignore_case_policy_value: true,
        raw_delivery_binary_attributes: true,
        fifo_publish_sequence_number: true,
        fifo_topic_dedup_reaches_queue: true,
        filter_aws_validation: true,
        enforces_queue_policy: true,
        set_queue_attributes_keeps_policy: true,
        scope_change_rebuilds_filter: true,
    };

    /// moto's server, version 5.2.1 (the local server the tests use).
    ///
    /// Verified against it by this crate's tests: exact values, `prefix`, `suffix`, `equals-ignore-case`,
    /// `anything-but` (values and `prefix`), `numeric` ranges, `exists` on present/absent keys, nested
    /// body-scope keys, and `$or` in attribute scope work; `wildcard` and `cidr` are rejected as
    /// `Unrecognized match type`. The other flags record what its tests found to differ from AWS.
    pub const MOTO: ServerCapabilities = ServerCapabilities {
        name: "moto-5.2.1",
        asynchronous_delivery: false,
        filter_wildcard: false,
        filter_cidr: false,
        filter_or_exists_exact: false,
        filter_anything_but_operators: false,
        filter_or_in_body_scope: false,
        filter_equals_ignore_case_policy_value: false,
        raw_delivery_binary_attributes: false,
        fifo_publish_sequence_number: false,
        fifo_topic_dedup_reaches_queue: false,
        filter_aws_validation: false,
        enforces_queue_policy: false,
        set_queue_attributes_keeps_policy: false,
        scope_change_rebuilds_filter: false,
    };

    /// Whether a filter operator (`prefix`, `wildcard`, `cidr`, ...) is evaluated by this server.
    pub fn supports_operator(&self, operator: &str) -> bool {
        match operator {
            "wildcard" => self.filter_wildcard,
            "cidr" => self.filter_cidr,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moto_lacks_wildcard_and_cidr_only_among_operators() {
        for op in ["prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case"] {
            assert!(ServerCapabilities::MOTO.supports_operator(op), "{op}");
        }
        assert!(!ServerCapabilities::MOTO.supports_operator("wildcard"));
        assert!(!ServerCapabilities::MOTO.supports_operator("cidr"));
        assert!(ServerCapabilities::AWS.supports_operator("cidr"));
    }
}
