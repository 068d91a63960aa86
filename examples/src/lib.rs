//! Runnable examples of the event bus (see `src/bin/`).
