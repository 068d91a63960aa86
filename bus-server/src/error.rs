//! [`ServerError`]: why a server could not start or stopped with an error. Request errors never end
//! up here: they are answered in the AWS wire format of the request.

use std::path::PathBuf;

/// Why the server could not start, or failed while running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The region or account id is malformed.
    #[error("invalid configuration: {0}")]
    Config(#[source] bus_core::BusError),
    /// The address could not be bound (in use, no permission).
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The state file could not be read or written.
    #[error("state file {}: {source}", path.display())]
    StateIo {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The state file is not a state this server wrote.
    #[error("state file {}: {reason}", path.display())]
    StateFormat {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Serving failed (the listener broke).
    #[error("server failed: {0}")]
    Serve(#[source] std::io::Error),
}
