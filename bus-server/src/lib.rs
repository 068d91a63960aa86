//! `bus-server`: a local SNS/SQS server speaking the AWS wire protocols, on the `bus-memory` engine
//! (`bus serve`).
//!
//! Any AWS SDK pointed at it works unchanged: SQS over the JSON protocol (`X-Amz-Target:
//! AmazonSQS.<Action>`) and over the older query protocol, SNS over the query protocol (form-encoded
//! `Action=...`, XML answers).
//! Topics fan out to subscribed queues through the engine's exact SNS filter policies (every operator,
//! AWS's error texts), with the SNS envelope or raw delivery; queues have SQS semantics (visibility,
//! receipt handles, redrive, delays, long polling, FIFO). Errors are shaped as AWS sends them, so SDKs
//! parse their codes (`QueueDoesNotExist`, `NotFound`, `InvalidParameter`, ...). Any SigV4 signature
//! is accepted and credentials are ignored; it binds loopback by default.
//!
//! ```
//! use aws_sdk_sqs::config::{BehaviorVersion, Credentials, Region};
//! use bus_server::{BusServer, ServerConfig};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = BusServer::bind(ServerConfig::default().with_port(0)).await?.spawn();
//!
//! let config = aws_sdk_sqs::Config::builder()
//!     .behavior_version(BehaviorVersion::latest())
//!     .region(Region::new("us-east-1"))
//!     .credentials_provider(Credentials::new("test", "test", None, None, "example"))
//!     .endpoint_url(server.endpoint())
//!     .http_client(aws_smithy_http_client::Builder::new().build_http())
//!     .build();
//! let sqs = aws_sdk_sqs::Client::from_conf(config);
//! let url = sqs.create_queue().queue_name("jobs").send().await?.queue_url.unwrap();
//! sqs.send_message().queue_url(&url).message_body("hello").send().await?;
//! let got = sqs.receive_message().queue_url(&url).wait_time_seconds(1).send().await?;
//! assert_eq!(got.messages()[0].body(), Some("hello"));
//!
//! server.stop().await?;
//! # Ok(()) }
//! ```
//!
//! # Where it differs from AWS
//! - Delivery from a topic to its queues happens inside `Publish`; only `sqs` subscriptions exist, and
//!   their endpoint must be a queue of this server. Deleting a queue deletes its subscriptions.
//! - The envelope's `Signature` is not verifiable (see `bus-memory`).
//! - Custom attribute type labels (`Number.float`) are accepted and come back as their base type;
//!   `MessageSystemAttributes` (`AWSTraceHeader`) are checked and digested, not stored.
//! - `QueueDeletedRecently` is never answered: a queue can be re-created at once.
//! - `--state FILE` persists resources, not messages.
//!
//! No feature flags.

mod config;
mod error;
mod registry;
mod router;
mod server;
mod service;
mod sns;
mod sqs;
mod state;

pub use config::{ServerConfig, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT};
pub use error::ServerError;
pub use router::HEALTH_PATH;
pub use server::{BusServer, RunningServer, ShutdownHandle};
