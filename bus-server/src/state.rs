//! `--state FILE`: the server's resources (queues with their attributes and tags, topics,
//! subscriptions under their ARNs) written as JSON after every change, and restored at start.
//! Messages are not persisted: a restarted server has the same resources, with empty queues.

use std::path::Path;

use bus_core::backend::{QueueSpec, SubscriptionSpec, TopicSpec};
use bus_memory::MemoryBackend;
use serde::{Deserialize, Serialize};

use crate::error::ServerError;
use crate::registry::{QueueMeta, Registry, SubscriptionMeta, TopicMeta};

/// The `format` of the files this version writes.
const FORMAT: &str = "bus-serve-state/1";

#[derive(Debug, Serialize, Deserialize)]
struct QueueEntry {
    spec: QueueSpec,
    meta: QueueMeta,
}

#[derive(Debug, Serialize, Deserialize)]
struct TopicEntry {
    spec: TopicSpec,
    meta: TopicMeta,
}

#[derive(Debug, Serialize, Deserialize)]
struct SubscriptionEntry {
    arn: String,
    spec: SubscriptionSpec,
    meta: SubscriptionMeta,
}

#[derive(Debug, Serialize, Deserialize)]
struct Snapshot {
    format: String,
    region: String,
    account_id: String,
    queues: Vec<QueueEntry>,
    topics: Vec<TopicEntry>,
    subscriptions: Vec<SubscriptionEntry>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ServerError + '_ {
    move |source| ServerError::StateIo { path: path.to_owned(), source }
}

/// Writes the state of `backend` and `registry` to `path` (through a temporary file and a rename, so a
/// crash never leaves half a file).
pub(crate) fn save(path: &Path, backend: &MemoryBackend, registry: &Registry) -> Result<(), ServerError> {
    let queues = backend
        .queue_names()
        .into_iter()
        .filter_map(|n| backend.queue_spec(&n).ok())
        .map(|spec| {
            let meta = registry.queues.get(&spec.name).cloned().unwrap_or_else(QueueMeta::new);
            QueueEntry { spec, meta }
        })
        .collect();
    let topics = backend
        .topic_names()
        .into_iter()
        .filter_map(|n| backend.topic_spec(&n).ok())
        .map(|spec| TopicEntry { meta: registry.topics.get(&spec.name).cloned().unwrap_or_default(), spec })
        .collect();
    let subscriptions = backend
        .subscriptions()
        .into_iter()
        .map(|s| SubscriptionEntry {
            meta: registry.subscriptions.get(&s.arn).cloned().unwrap_or_default(),
            arn: s.arn,
            spec: s.spec,
        })
        .collect();
    let snapshot = Snapshot {
        format: FORMAT.to_owned(),
        region: backend.region().to_owned(),
        account_id: backend.account_id().to_owned(),
        queues,
        topics,
        subscriptions,
    };
    let text = serde_json::to_string_pretty(&snapshot)
        .map_err(|e| ServerError::StateFormat { path: path.to_owned(), reason: e.to_string() })?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).map_err(io(path))?;
    std::fs::rename(&tmp, path).map_err(io(path))?;
    Ok(())
}

/// Restores the resources of the file at `path` into an empty `backend`; a missing file is an empty
/// state. Queues come first (without redrive, then with it, so dead-letter queues exist), then topics,
/// then subscriptions under their saved ARNs.
pub(crate) fn load(path: &Path, backend: &MemoryBackend) -> Result<Registry, ServerError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Registry::default()),
        Err(e) => return Err(io(path)(e)),
    };
    let bad = |reason: String| ServerError::StateFormat { path: path.to_owned(), reason };
    let snapshot: Snapshot = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if snapshot.format != FORMAT {
        return Err(bad(format!("unknown format {:?} (expected {FORMAT:?})", snapshot.format)));
    }
    if snapshot.region != backend.region() || snapshot.account_id != backend.account_id() {
        return Err(bad(format!(
            "written for region {} and account {}, not {} and {}",
            snapshot.region,
            snapshot.account_id,
            backend.region(),
            backend.account_id()
        )));
    }
    let mut registry = Registry::default();
    for q in &snapshot.queues {
        let plain = QueueSpec { redrive: None, ..q.spec.clone() };
        backend.create_queue(&plain).map_err(|e| bad(format!("queue {}: {e}", q.spec.name)))?;
        registry.queues.insert(q.spec.name.clone(), q.meta.clone());
    }
    for q in snapshot.queues.iter().filter(|q| q.spec.redrive.is_some()) {
        backend.set_queue_spec(&q.spec).map_err(|e| bad(format!("queue {}: {e}", q.spec.name)))?;
    }
    for t in snapshot.topics {
        backend.create_topic(&t.spec).map_err(|e| bad(format!("topic {}: {e}", t.spec.name)))?;
        registry.topics.insert(t.spec.name, t.meta);
    }
    for s in snapshot.subscriptions {
        backend.subscribe(&s.spec, Some(&s.arn)).map_err(|e| bad(format!("subscription {}: {e}", s.arn)))?;
        registry.subscriptions.insert(s.arn, s.meta);
    }
    tracing::info!(
        path = %path.display(),
        queues = registry.queues.len(),
        topics = registry.topics.len(),
        subscriptions = registry.subscriptions.len(),
        "state restored"
    );
    Ok(registry)
}
