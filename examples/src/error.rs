//! The demo's error type.

/// Why the demo could not run. Each variant keeps its source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DemoError {
    /// The bus (topology, publish, receive) failed.
    #[error("bus: {0}")]
    Bus(#[from] bus_core::BusError),
    /// The archive failed.
    #[error("archive: {0}")]
    Archive(#[from] bus_archive::ArchiveError),
    /// The webhook ingress could not be built.
    #[error("webhook ingress: {0}")]
    Webhook(#[from] bus_webhook::WebhookError),
    /// A socket or file failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// An HTTP request to the webhook ingress failed.
    #[error("HTTP ({what}): {source}")]
    Http {
        /// What was being done.
        what: &'static str,
        /// The client's or server's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

impl DemoError {
    pub(crate) fn http(
        what: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Self {
        DemoError::Http { what, source: source.into() }
    }
}
