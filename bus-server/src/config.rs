//! [`ServerConfig`]: where the server listens and what its ARNs and URLs say.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

/// The default port, the one LocalStack and most local AWS tools use.
pub const DEFAULT_PORT: u16 = 4566;
/// The default largest request body accepted, in bytes (8 MiB: an SQS batch of 1 MiB of messages with
/// JSON escaping fits). Larger bodies get an AWS-shaped `RequestEntityTooLarge` error.
pub const DEFAULT_MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// How a [`BusServer`](crate::BusServer) runs.
///
/// ```
/// use bus_server::ServerConfig;
/// let c = ServerConfig::default().with_port(0).with_region("eu-west-1");
/// assert_eq!(c.host.to_string(), "127.0.0.1");
/// assert_eq!(c.region, "eu-west-1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The address to bind (loopback by default: nothing outside this machine can reach the server).
    pub host: IpAddr,
    /// The port (`0` picks a free one; see [`BusServer::local_addr`](crate::BusServer::local_addr)).
    pub port: u16,
    /// The region in ARNs (`us-east-1`).
    pub region: String,
    /// The account id in ARNs and queue URLs (`000000000000`).
    pub account_id: String,
    /// A file to persist queues, topics and subscriptions to, reloaded at start (`--state FILE`).
    pub state_file: Option<PathBuf>,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            region: "us-east-1".to_owned(),
            account_id: "000000000000".to_owned(),
            state_file: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

impl ServerConfig {
    /// Binds this address.
    pub fn with_host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// Listens on this port (`0`: a free one).
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Uses this region in ARNs.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// Uses this account id in ARNs and URLs.
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = account_id.into();
        self
    }

    /// Persists resources to this file and reloads them at start.
    pub fn with_state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Accepts request bodies up to this many bytes.
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }
}
