//! The worker runtime: long-poll workers with bounded concurrency (issue 4; not yet written).
