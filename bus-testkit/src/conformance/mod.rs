//! The conformance suite: one set of scenarios every backend runs, so the memory backend and the AWS
//! backend cannot drift apart.
//!
//! Each scenario is a plain `pub async fn(&dyn Backend, &Names) -> Result<(), ConformanceError>` in
//! the module of its family ([`publish`], [`fanout`], [`filter`], [`delivery`], [`subject`],
//! [`visibility`], [`dlq`], [`delay`], [`batch`], [`fifo`], [`limits`], [`topology`], [`admin`]). Every scenario
//! creates its own uniquely named topics and queues ([`Names`]), keeps message counts small, and waits
//! for delivery by long-polling (AWS delivers asynchronously; nothing assumes it is immediate).
//! To show that a message was *not* delivered, a scenario publishes a matching sentinel after it and
//! waits for the sentinel, then receives once more.
//!
//! What a backend cannot do is stated in its [`Capabilities`]; scenarios that need a missing
//! capability are reported as not applicable, never dropped silently and never counted as passed.
//!
//! Run the whole suite and get a [`ConformanceReport`] (here on the memory backend, on a paused clock):
//!
//! ```
//! use bus_testkit::conformance::{run_all, scenarios, Capabilities};
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let backend = bus_memory::MemoryBackend::new();
//! let report = run_all(&backend, &Capabilities::full()).await;
//! println!("{report}"); // one line per scenario: pass, FAIL (with what was expected and what happened), n/a
//! assert_eq!(report.results.len(), scenarios().len());
//! // report.assert_all_passed() panics with the list of failures.
//! # }
//! ```
//!
//! or one `#[test]` per scenario with [`conformance_tests!`](crate::conformance_tests) in a backend's
//! `tests/conformance.rs`:
//!
//! ```no_run
//! use std::sync::Arc;
//! use bus_testkit::conformance::Capabilities;
//!
//! bus_testkit::conformance_tests!(Arc::new(bus_memory::MemoryBackend::new()), Capabilities::full());
//! # fn main() {}
//! ```
//!
//! Time: scenarios wait with `tokio::time` only. A backend on virtual time runs them on a paused
//! clock (visibility timeouts and delays then cost no wall time); a real server runs them in real
//! time, so redelivery scenarios use visibility timeouts of 1-3 s.

mod capabilities;
mod error;
mod names;
mod report;
mod runner;
mod support;

pub mod admin;
pub mod batch;
pub mod delay;
pub mod delivery;
pub mod dlq;
pub mod fanout;
pub mod fifo;
pub mod filter;
pub mod filter_body;
pub mod limits;
pub mod publish;
pub mod subject;
pub mod topology;
pub mod visibility;

pub use bus_core::Backend;
pub use capabilities::{Capabilities, Capability};
pub use error::ConformanceError;
pub use names::Names;
pub use report::{ConformanceReport, Outcome, ScenarioResult};
pub use runner::{run_all, run_scenario, scenario, scenarios, Scenario, ScenarioFn, ScenarioFuture};

#[doc(hidden)]
pub use runner::__run_test;
#[doc(hidden)]
pub use runner::__test_capabilities;

/// The list of every scenario: `family::function [capabilities] "summary";`. It feeds both the
/// registry ([`scenarios`]) and [`conformance_tests!`](crate::conformance_tests), so the two cannot
/// disagree. Invoked as `__conformance_scenarios!(callback { args })`.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_scenarios {
    ($callback:ident { $($args:tt)* }) => {
        $crate::$callback! {
            { $($args)* }
            publish::publish_receive_roundtrip [] "body and attributes of every type round-trip; ids, handles, timestamps; receive count 1 then 2";
            publish::publish_event_roundtrip [] "publish_data sends the event JSON with its event-type attribute; the delivery decodes it";
            publish::send_receive_direct [] "Backend::send puts a message straight on a queue, body and attributes as sent";
            publish::receive_respects_max_messages [] "a receive never returns more than asked for, and every message arrives once";
            publish::long_poll_wakes_on_arrival [] "a long poll returns as soon as a message arrives, not at the end of its wait";
            publish::unknown_resources_fail [] "an unknown topic or queue is TopicNotFound / QueueNotFound";
            fanout::fanout_to_every_queue [] "a topic delivers each message to every subscribed queue, with one SNS message id";
            fanout::fanout_topics_are_isolated [] "a queue only gets the messages of the topics it subscribes to";
            filter::filter_exact [] "exact string values, String.Array elements, AND across keys";
            filter::filter_prefix [] "prefix matching";
            filter::filter_suffix [] "suffix matching";
            filter::filter_equals_ignore_case [] "equals-ignore-case against the message's case";
            filter::filter_equals_ignore_case_operand [EqualsIgnoreCaseOperandCase] "equals-ignore-case with a mixed-case operand";
            filter::filter_wildcard [Wildcard] "wildcard matching";
            filter::filter_anything_but [] "anything-but: single string, string list, number list, prefix";
            filter::filter_anything_but_suffix_wildcard [AnythingButSuffixWildcard] "anything-but with suffix and wildcard operands";
            filter::filter_string_array_operators [StringArrayOperators] "anything-but applied to each String.Array element";
            filter::filter_numeric [] "numeric equality, ranges and bounds on Number attributes";
            filter::filter_exists [] "exists true and false";
            filter::filter_exists_false_without_attributes [ExistsFalseWithoutAttributes] "exists:false never matches a message without attributes";
            filter::filter_cidr [Cidr] "cidr blocks, IPv4 and IPv6";
            filter::filter_or_attributes [] "$or alternatives ANDed with sibling keys (attribute scope)";
            filter_body::filter_body_nested [] "MessageBody scope: nested keys, operators, non-JSON bodies";
            filter_body::filter_or_body [OrInBody] "$or in a MessageBody policy";
            delivery::delivery_envelope_fields [] "enveloped delivery writes the SNS notification JSON with every field";
            delivery::delivery_envelope_signature [EnvelopeSignature] "the envelope carries a base64 Signature and a .pem SigningCertURL";
            delivery::delivery_raw [] "raw delivery passes body and attributes through, no envelope";
            delivery::delivery_raw_binary_attribute [RawBinaryAttributes] "raw delivery passes Binary attributes through";
            subject::subject_in_envelope [] "a publish's Subject is in the envelope and the Delivery only when set; never with raw delivery";
            subject::subject_fifo [Fifo] "a FIFO topic carries the Subject into its FIFO queue's envelope (publish and batch)";
            subject::subject_invalid_refused [] "empty, 101-character or control-character subjects: InvalidParameter, per batch entry; send refuses any subject";
            visibility::visibility_timeout_redelivers [] "an unacknowledged message returns after the queue's visibility timeout";
            visibility::visibility_per_receive_timeout [] "a receive's own visibility timeout overrides the queue's";
            visibility::visibility_change_to_zero [] "change_visibility(0) makes a message visible at once";
            visibility::visibility_extend_keeps_hidden [] "extending the visibility keeps a message hidden past the original timeout";
            visibility::ack_deletes_for_good [] "an acknowledged message never comes back";
            dlq::dlq_redrive_after_max_receives [] "after exactly maxReceiveCount receives the message moves to the dead-letter queue";
            delay::delay_queue [] "a queue's delay hides new messages for that long";
            delay::delay_per_message [DelayPerMessage] "a per-message delay hides one message, and overrides the queue's";
            batch::batch_publish_partial_failure [] "publish_batch reports a bad entry and publishes the others";
            batch::batch_publish_request_errors [] "empty, 11 entries, duplicate ids, over 256 KiB: the whole batch fails";
            batch::batch_ack_partial_failure [] "ack_batch reports a bogus handle and deletes the others";
            batch::batch_change_visibility_partial_failure [] "change_visibility_batch reports a bogus handle and changes the others";
            batch::batch_ack_request_errors [] "ack_batch and change_visibility_batch: empty, 11 entries, duplicate ids";
            fifo::fifo_order_within_group [Fifo] "messages of one group arrive in publish order";
            fifo::fifo_group_blocked_while_in_flight [Fifo] "a group is held while one of its messages is in flight";
            fifo::fifo_dedup_explicit_id [Fifo] "a repeated deduplication id is dropped";
            fifo::fifo_dedup_content_based_topic [Fifo, FifoTopicContentDedup] "a FIFO topic with content-based deduplication drops a repeated body";
            fifo::fifo_queue_dedup_direct [Fifo] "a FIFO queue deduplicates direct sends by id and by content";
            fifo::fifo_dedup_window_expires [Fifo, LongWaits] "a deduplication id is accepted again after 5 minutes";
            fifo::fifo_requires_group_id [Fifo] "FIFO publishes without a group id (or deduplication) are rejected";
            limits::limit_publish_size [] "256 KiB SNS publish limit, attributes included";
            limits::limit_sqs_message_size [] "1 MiB SQS message limit on send";
            limits::limit_attributes [] "at most 10 attributes, AWS's attribute name and value rules";
            limits::limit_receive_parameters [] "max messages 1-10, wait 0-20 s, visibility 0-12 h";
            limits::limit_send_delay [] "per-message delay 0-900 s";
            limits::limit_queue_spec [] "queue attribute ranges and maxReceiveCount 1-1000; a bad topology creates nothing";
            limits::limit_invalid_filter_policy [] "an invalid filter policy fails apply_topology with AWS's reason text";
            topology::topology_reapply_is_noop [] "applying the same topology again changes nothing";
            topology::topology_policy_change_takes_effect [ImmediateSubscriptionChanges] "a changed filter policy or raw setting applies to the next publish";
            topology::topology_queue_update_in_place [] "a changed visibility timeout applies in place, messages kept";
            admin::queue_stats_counts [StatsExact, DelayPerMessage] "visible, in flight and delayed counts";
            admin::purge_empties_queue [Purge] "purge deletes every message, visible and in flight";
            admin::purge_rate_limited [Purge, PurgeRateLimit] "a second purge within 60 s fails with PurgeInProgress";
            admin::retention_expires_messages [LongWaits] "messages older than the retention period are deleted";
        }
    };
}

/// Generates one `#[test]` per conformance scenario, plus `conformance_capabilities` (which lists the
/// scenarios the capabilities rule out and checks that some scenario still applies).
///
/// - `$make_backend`: an expression of type `Arc<dyn Backend>` (`.await` allowed), evaluated afresh
///   in every test;
/// - `$capabilities`: a [`Capabilities`](crate::conformance::Capabilities) expression.
///
/// Each test runs on its own current-thread tokio runtime, started paused unless
/// `capabilities.real_time`. A scenario that fails panics with what was expected and what happened;
/// a scenario the capabilities rule out passes after writing a `not applicable` line to stderr.
///
/// ```no_run
/// // bus-memory/tests/memory/conformance.rs
/// use std::sync::Arc;
/// use bus_testkit::conformance::Capabilities;
///
/// bus_testkit::conformance_tests!(Arc::new(bus_memory::MemoryBackend::new()), Capabilities::full());
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! conformance_tests {
    ($make_backend:expr, $capabilities:expr $(,)?) => {
        $crate::__conformance_scenarios!(__conformance_test_fns { ($make_backend) ($capabilities) });

        #[test]
        fn conformance_capabilities() {
            $crate::conformance::__test_capabilities($capabilities);
        }
    };
}

/// Implementation detail of [`conformance_tests!`](crate::conformance_tests).
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_test_fns {
    ({ ($make:expr) ($caps:expr) } $($family:ident :: $name:ident [$($cap:ident),*] $summary:literal;)*) => {
        $(
            #[test]
            fn $name() {
                $crate::conformance::__run_test(stringify!($name), $caps, || async {
                    let backend: ::std::sync::Arc<dyn $crate::conformance::Backend> = $make;
                    backend
                });
            }
        )*
    };
}

/// Implementation detail of [`scenarios`]: builds the registry from the list.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_registry {
    ({} $($family:ident :: $name:ident [$($cap:ident),*] $summary:literal;)*) => {
        /// Every scenario, in the suite's order.
        static SCENARIOS: &[$crate::conformance::Scenario] = &[
            $(
                $crate::conformance::Scenario {
                    name: stringify!($name),
                    family: stringify!($family),
                    summary: $summary,
                    requires: &[$($crate::conformance::Capability::$cap),*],
                    run: {
                        fn run<'a>(
                            backend: &'a dyn $crate::conformance::Backend,
                            names: &'a $crate::conformance::Names,
                        ) -> $crate::conformance::ScenarioFuture<'a> {
                            ::std::boxed::Box::pin($crate::conformance::$family::$name(backend, names))
                        }
                        run
                    },
                },
            )*
        ];
    };
}
