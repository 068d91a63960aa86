//! `--backend memory|aws`: which bus a command talks to, shared by `topology`, `queue`, `dlq` and
//! `archive replay`.
//!
//! - `aws` (the default): SNS and SQS through `bus-aws`, configured from the environment (`AWS_REGION`,
//!   credentials, `AWS_ENDPOINT_URL` for a local server such as `bus serve` or moto). Needs the `aws`
//!   cargo feature of `bus-cli`, on by default.
//! - `memory`: a fresh in-memory backend in this process. It starts empty and disappears when the command
//!   ends, so it is only useful to validate and rehearse (`bus topology plan|apply`, `bus archive replay`).

use std::sync::Arc;

use bus_core::Backend;

use crate::error::CliError;

/// The backend a command talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// A fresh in-memory backend, in this process only.
    Memory,
    /// AWS SNS/SQS (or a compatible server through `AWS_ENDPOINT_URL`), configured from the environment.
    Aws,
}

impl BackendKind {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Memory => "memory",
            BackendKind::Aws => "aws",
        }
    }
}

/// A connected backend: the trait object commands use, and the concrete type for what the trait lacks.
#[derive(Debug, Clone)]
pub enum Connected {
    /// The in-memory backend.
    Memory(Arc<bus_memory::MemoryBackend>),
    /// The AWS backend.
    #[cfg(feature = "aws")]
    Aws(Arc<bus_aws::AwsBackend>),
}

impl Connected {
    /// The backend as the trait object.
    pub fn backend(&self) -> Arc<dyn Backend> {
        match self {
            Connected::Memory(b) => b.clone(),
            #[cfg(feature = "aws")]
            Connected::Aws(b) => b.clone(),
        }
    }

    /// The queues whose redrive policy names `dlq` as their dead-letter queue.
    pub async fn dead_letter_sources(&self, dlq: &str) -> Result<Vec<String>, CliError> {
        match self {
            Connected::Memory(b) => {
                b.dead_letter_source_queues(dlq).map_err(|e| CliError::bus("list source queues", e))
            }
            #[cfg(feature = "aws")]
            Connected::Aws(b) => {
                let url = b.queue_url(dlq).await.map_err(|e| CliError::bus("find the queue", e))?;
                let mut names = Vec::new();
                let mut pages = b.sqs_client().list_dead_letter_source_queues().queue_url(url).into_paginator().send();
                while let Some(page) = pages.next().await {
                    let page = page.map_err(|e| {
                        CliError::bus(
                            "ListDeadLetterSourceQueues",
                            bus_core::BusError::Backend {
                                service: "sqs",
                                code: None,
                                request_id: None,
                                message: e.to_string(),
                                source: Some(Box::new(e)),
                            },
                        )
                    })?;
                    names.extend(page.queue_urls.iter().filter_map(|u| u.rsplit('/').next()).map(str::to_owned));
                }
                Ok(names)
            }
        }
    }
}

/// Connects to the backend `kind`.
pub async fn connect(kind: BackendKind) -> Result<Connected, CliError> {
    match kind {
        BackendKind::Memory => Ok(Connected::Memory(Arc::new(bus_memory::MemoryBackend::new()))),
        #[cfg(feature = "aws")]
        BackendKind::Aws => {
            let backend =
                bus_aws::AwsBackendBuilder::from_env().build().await.map_err(|e| CliError::bus("connect to AWS", e))?;
            Ok(Connected::Aws(Arc::new(backend)))
        }
        #[cfg(not(feature = "aws"))]
        BackendKind::Aws => Err(CliError::BackendUnavailable("aws")),
    }
}

/// A multi-threaded tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(CliError::Runtime)
}

/// The hint added to "queue not found" on the memory backend.
pub fn memory_hint(kind: BackendKind) -> &'static str {
    match kind {
        BackendKind::Memory => {
            " (the memory backend starts empty in every `bus` process; use --backend aws, with AWS_ENDPOINT_URL for a local server)"
        }
        BackendKind::Aws => "",
    }
}
