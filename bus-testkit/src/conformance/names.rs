//! [`Names`]: unique resource names per run, so one server can host many runs side by side.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Hands out unique topic and queue names: `<prefix>-<n>-<role>` (`.fifo` appended for FIFO ones).
///
/// Every run gets a random prefix, and every call a fresh number, so scenarios never share a
/// resource, even when several runs use the same server at once.
///
/// ```
/// use bus_testkit::conformance::Names;
/// let names = Names::with_prefix("t1");
/// assert_eq!(names.queue("email"), "t1-1-email");
/// assert_eq!(names.fifo_queue("orders"), "t1-2-orders.fifo");
/// ```
#[derive(Debug)]
pub struct Names {
    prefix: String,
    counter: AtomicUsize,
}

/// Queue names are at most 80 characters including `.fifo`.
const MAX_BASE_LEN: usize = 75;

impl Names {
    /// Names with a random prefix (`ct` and 8 hex digits).
    pub fn new() -> Self {
        Names::with_prefix(format!("ct{:08x}", rand::random::<u32>()))
    }

    /// Names with this prefix (use only `A-Za-z0-9-_`).
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        Names { prefix: prefix.into(), counter: AtomicUsize::new(0) }
    }

    /// The run's prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn base(&self, role: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let role: String =
            role.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
        let mut name = format!("{}-{n}-{role}", self.prefix);
        name.truncate(MAX_BASE_LEN);
        name
    }

    /// A fresh standard topic name.
    pub fn topic(&self, role: &str) -> String {
        self.base(role)
    }

    /// A fresh standard queue name.
    pub fn queue(&self, role: &str) -> String {
        self.base(role)
    }

    /// A fresh FIFO topic name (ends in `.fifo`).
    pub fn fifo_topic(&self, role: &str) -> String {
        format!("{}.fifo", self.base(role))
    }

    /// A fresh FIFO queue name (ends in `.fifo`).
    pub fn fifo_queue(&self, role: &str) -> String {
        format!("{}.fifo", self.base(role))
    }
}

impl Default for Names {
    fn default() -> Self {
        Names::new()
    }
}
