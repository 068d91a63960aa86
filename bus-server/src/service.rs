//! [`Service`]: what every request handler shares: the engine, the configuration, the server-side
//! metadata, and the shutdown signal that cuts long polls short.

use std::sync::{Mutex, MutexGuard, PoisonError};

use bus_memory::MemoryBackend;
use tokio::sync::watch;

use crate::config::ServerConfig;
use crate::registry::Registry;

/// The shared state of a running server.
#[derive(Debug)]
pub(crate) struct Service {
    pub backend: MemoryBackend,
    pub config: ServerConfig,
    registry: Mutex<Registry>,
    shutdown: watch::Receiver<bool>,
}

impl Service {
    pub(crate) fn new(
        backend: MemoryBackend,
        config: ServerConfig,
        registry: Registry,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Service { backend, config, registry: Mutex::new(registry), shutdown }
    }

    /// The metadata, locked. Control-plane calls hold it for their whole change, so they are serialised.
    pub(crate) fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the state file, if there is one (after a control-plane change, with the registry held).
    pub(crate) fn persist(&self, registry: &Registry) {
        if let Some(path) = &self.config.state_file {
            if let Err(e) = crate::state::save(path, &self.backend, registry) {
                tracing::error!(error = %e, "could not write the state file");
            }
        }
    }

    /// Resolves once the server is shutting down.
    pub(crate) async fn shutting_down(&self) {
        let mut rx = self.shutdown.clone();
        // An error means the sender is gone: the server is going away too.
        let _ = rx.wait_for(|stop| *stop).await;
    }

    /// `arn:aws:sqs:{region}:{account}:{name}`.
    pub(crate) fn queue_arn(&self, name: &str) -> String {
        format!("arn:aws:sqs:{}:{}:{name}", self.config.region, self.config.account_id)
    }

    /// `arn:aws:sns:{region}:{account}:{name}`.
    pub(crate) fn topic_arn(&self, name: &str) -> String {
        format!("arn:aws:sns:{}:{}:{name}", self.config.region, self.config.account_id)
    }

    /// The resource name of an ARN of `service` in this server's region and account.
    pub(crate) fn name_from_arn<'a>(&self, service: &str, arn: &'a str) -> Option<&'a str> {
        let mut parts = arn.splitn(6, ':');
        let ok = parts.next() == Some("arn")
            && parts.next().is_some()
            && parts.next() == Some(service)
            && parts.next() == Some(self.config.region.as_str())
            && parts.next() == Some(self.config.account_id.as_str());
        let name = parts.next()?;
        (ok && !name.is_empty() && !name.contains(':')).then_some(name)
    }
}

/// A fresh request id (a UUID, as AWS's are).
pub(crate) fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
