//! [`run_paused`]: run a future on a fresh current-thread runtime with paused time (for proptest
//! bodies, which are synchronous).

use std::future::Future;

/// Runs `future` to completion on a new current-thread tokio runtime whose clock starts paused, so
/// timers advance instantly when nothing else can run. Use it inside `proptest!` bodies, which are
/// synchronous.
///
/// ```
/// use std::time::Duration;
/// let waited = bus_testkit::run_paused(async {
///     let start = tokio::time::Instant::now();
///     tokio::time::sleep(Duration::from_secs(3600)).await; // takes no wall time
///     start.elapsed()
/// });
/// assert_eq!(waited.as_secs(), 3600);
/// ```
///
/// # Panics
/// If the runtime cannot be created (the operating system refuses its resources).
pub fn run_paused<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("cannot create a tokio runtime")
        .block_on(future)
}
