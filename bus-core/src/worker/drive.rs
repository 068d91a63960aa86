//! The runner loop: one Tokio task per queue runner that receives, runs the handlers, extends
//! visibilities, deletes, and stops.
//!
//! Everything a task needs happens inside this one task: permits are taken per receive and given back
//! per round; a handler is polled once right away (most finish there and never cost more); one that
//! waits joins the loop's [`FuturesUnordered`] (or, when spawned, see [`Placement`], its own Tokio
//! task) and its slot in [`Flights`]; a single timer serves every heartbeat, grace period, delete
//! linger and the stop deadline; deletes, visibility changes and failure reports are the loop's I/O
//! futures.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt as _};
use tokio::time::{Instant, Sleep};
use tracing::Instrument as _;

use super::ack::{self, AckBuffer};
use super::execute::{self, end_of, End, Running};
use super::flights::{Flight, Flights, Key, Phase};
use super::handler::Handler;
use super::heartbeat::{self, cap_delay, Extension};
use super::metrics::{add, inc};
use super::observer::TaskEvent;
use super::permits::{Held, Permits};
use super::placement::Placement;
use super::recycle::Spares;
use super::router::Router;
use super::runner::{Runner, StopSignal};
use super::settle::{Io, Unfinished};
use super::shutdown::RunnerReport;
use super::task::{Received, Task};
use crate::backend::{Delivery, ReceiveOptions};
use crate::error::BusError;
use crate::limits::{MAX_BATCH_ENTRIES, MAX_RECEIVE_MESSAGES};

/// Rounds of work per poll before the loop yields to the scheduler.
const ROUNDS: usize = 32;
/// Receives per round at most.
const RECEIVES_PER_ROUND: usize = 8;
/// Spare task allocations kept per loop at most.
const MAX_SPARES: usize = 256;

/// A receive's outcome, with the permits taken for it.
struct Fetched<'r> {
    permits: Permits<'r>,
    result: Result<Vec<Delivery>, BusError>,
}

/// The state of one runner loop.
pub(crate) struct Drive<'r> {
    pub(crate) runner: &'r Runner,
    stop: BoxFuture<'static, Instant>,
    /// The stop's deadline for in-flight handlers, once a stop is asked.
    deadline: Option<Instant>,
    hard_stopped: bool,
    fetch: Option<BoxFuture<'r, Option<Fetched<'r>>>>,
    /// Delay before the next receive (after failed receives).
    retry_in: Duration,
    want: usize,
    receive_failures: u32,
    handlers: FuturesUnordered<Running<'r>>,
    io: FuturesUnordered<BoxFuture<'r, Io>>,
    /// New I/O futures, polled once before they join `io` (most complete at once on a local backend).
    fresh: Vec<BoxFuture<'r, Io>>,
    flights: Flights,
    pub(crate) acks: AckBuffer,
    pub(crate) releases: Vec<Unfinished>,
    spares: Spares,
    /// Completions not yet added to the counter (added once per round).
    pub(crate) completed: usize,
    held: Held<'r>,
    /// Tasks received and not yet settled (their message's fate is not known yet).
    pub(crate) live: usize,
    /// Tasks settled since permits were last given back.
    settled: usize,
    timer: Pin<Box<Sleep>>,
    timer_at: Option<Instant>,
    heartbeat: Option<Duration>,
    placement: Placement,
    last_route: Option<(&'r str, &'r Arc<dyn Handler>)>,
    in_flight_at_stop: usize,
    released_before: u64,
}

impl<'r> Drive<'r> {
    pub(crate) fn new(runner: &'r Runner, mut stop: StopSignal) -> Self {
        let config = &runner.config;
        Drive {
            runner,
            stop: Box::pin(async move { stopped(&mut stop).await }),
            deadline: None,
            hard_stopped: false,
            fetch: None,
            retry_in: Duration::ZERO,
            want: MAX_RECEIVE_MESSAGES,
            receive_failures: 0,
            handlers: FuturesUnordered::new(),
            io: FuturesUnordered::new(),
            fresh: Vec::new(),
            flights: Flights::default(),
            acks: AckBuffer::new(config.ack_batch_size, config.ack_linger),
            releases: Vec::new(),
            spares: Spares::new(runner.queue.clone(), config.concurrency.min(MAX_SPARES)),
            completed: 0,
            held: Held::default(),
            live: 0,
            settled: 0,
            timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            timer_at: None,
            heartbeat: config.heartbeat_interval(),
            placement: Placement::new(config.execution),
            last_route: None,
            in_flight_at_stop: 0,
            released_before: 0,
        }
    }

    /// Drives the loop; ready with the report once stopped and drained.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<RunnerReport> {
        for _ in 0..ROUNDS {
            let mut progress = false;
            if self.deadline.is_none() {
                if let Poll::Ready(deadline) = self.stop.as_mut().poll(cx) {
                    self.begin_stop(deadline);
                    progress = true;
                }
            }
            progress |= self.poll_handlers(cx);
            progress |= self.poll_timer(cx);
            self.release_settled();
            if self.deadline.is_none() {
                progress |= self.poll_fetch(cx);
            }
            self.flush_buffers();
            progress |= self.poll_io(cx);
            progress |= self.release_settled();
            if let Some(report) = self.finished() {
                return Poll::Ready(report);
            }
            progress |= self.arm_timer(cx);
            if !progress {
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Marks `n` tasks settled: their permits go back at the end of the round.
    pub(crate) fn settle(&mut self, n: usize) {
        self.live -= n;
        self.settled += n;
    }

    /// Gives the permits of settled tasks back. True if a receive waits for them.
    fn release_settled(&mut self) -> bool {
        if self.settled == 0 {
            return false;
        }
        add(&self.runner.metrics.counters.completed, std::mem::take(&mut self.completed));
        let n = std::mem::take(&mut self.settled);
        // The gauges go down before the permits go back, so they never show more than the caps.
        self.runner.metrics.in_flight.sub(n);
        self.runner.global_in_flight.sub(n);
        self.held.release(n);
        self.fetch.is_some()
    }

    fn poll_handlers(&mut self, cx: &mut Context<'_>) -> bool {
        if self.handlers.is_empty() {
            return false;
        }
        let clock = self.placement.clock();
        let mut ended = 0;
        while let Poll::Ready(Some((key, end))) = self.handlers.poll_next_unpin(cx) {
            self.on_end(key, end);
            ended += 1;
        }
        self.measure(clock, ended);
        ended > 0
    }

    /// Starts an I/O future (polled with the next round's I/O).
    pub(crate) fn push_io(&mut self, future: BoxFuture<'r, Io>) {
        self.fresh.push(future);
    }

    fn poll_io(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        while !self.fresh.is_empty() {
            for mut future in std::mem::take(&mut self.fresh) {
                match future.as_mut().poll(cx) {
                    Poll::Ready(done) => self.on_io(done),
                    Poll::Pending => self.io.push(future),
                }
                progress = true;
            }
        }
        while let Poll::Ready(Some(done)) = self.io.poll_next_unpin(cx) {
            self.on_io(done);
            progress = true;
        }
        progress
    }

    fn on_io(&mut self, done: Io) {
        match done {
            Io::Settled(n) => self.settle(n),
            Io::Extended(failed) => {
                let now = Instant::now();
                for (key, error) in failed {
                    self.cancel(key, &error, now);
                }
            }
            Io::Flushed(batch) => {
                for entry in batch {
                    self.spares.put(entry.received);
                }
            }
            Io::Done => {}
        }
    }

    fn poll_fetch(&mut self, cx: &mut Context<'_>) -> bool {
        let mut progress = false;
        for _ in 0..RECEIVES_PER_ROUND {
            let (runner, want, delay) = (self.runner, self.want, self.retry_in);
            let fetch = self.fetch.get_or_insert_with(|| fetch(runner, want, delay));
            let Poll::Ready(fetched) = fetch.as_mut().poll(cx) else { break };
            self.fetch = None;
            progress = true;
            match fetched {
                Some(Fetched { permits, result: Ok(deliveries) }) => {
                    self.receive_failures = 0;
                    self.retry_in = Duration::ZERO;
                    self.want = if deliveries.is_empty() { 1 } else { MAX_RECEIVE_MESSAGES };
                    self.start_batch(cx, permits, deliveries);
                    // Send the deletes (and whatever else the batch started) before receiving more:
                    // fewer messages in flight, a smaller working set.
                    self.poll_io(cx);
                    self.release_settled();
                }
                Some(Fetched { permits, result: Err(e) }) => {
                    drop(permits);
                    self.receive_failed(e);
                }
                None => {
                    tracing::error!(queue = %self.runner.queue, "the concurrency semaphores were closed: stopping");
                    self.begin_stop(Instant::now());
                    break;
                }
            }
        }
        progress
    }

    fn receive_failed(&mut self, e: BusError) {
        let runner = self.runner;
        self.receive_failures = self.receive_failures.saturating_add(1);
        inc(&runner.metrics.counters.receive_errors);
        let delay = runner.config.receive_error_backoff.delay(self.receive_failures);
        tracing::warn!(queue = %runner.queue, failures = self.receive_failures, retry_in_s = delay.as_secs_f64(), "receive failed: {e}");
        runner.emit(|| TaskEvent::ReceiveFailed { queue: runner.queue.clone(), error: e.to_string() });
        self.retry_in = delay;
    }

    /// Starts the tasks of a receive.
    fn start_batch(&mut self, cx: &mut Context<'_>, mut permits: Permits<'r>, deliveries: Vec<Delivery>) {
        let runner = self.runner;
        let n = deliveries.len().min(permits.len());
        if n == 0 {
            drop(permits);
        } else {
            if permits.len() > n {
                drop(permits.split(permits.len() - n));
            }
            self.held.add(permits);
        }
        self.live += n;
        add(&runner.metrics.counters.received, n);
        runner.metrics.in_flight.add(n);
        runner.global_in_flight.add(n);
        let received_at = Instant::now();
        let clock = self.placement.clock();
        let mut deliveries = deliveries.into_iter();
        for delivery in deliveries.by_ref().take(n) {
            let received = self.spares.take(delivery);
            self.start(cx, received, received_at);
        }
        self.measure(clock, n);
        for extra in deliveries {
            // The backend returned more than asked for: never run beyond the cap, never drop.
            tracing::warn!(queue = %runner.queue, message_id = %extra.message_id, "receive returned more messages than requested; released");
            self.push_io(Box::pin(async move {
                runner.change_visibility(&extra.receipt_handle, Duration::ZERO).await;
                Io::Done
            }));
        }
    }

    /// Starts one task: routes it and runs its handler (polled once here when it runs in the loop).
    fn start(&mut self, cx: &mut Context<'_>, received: Arc<Received>, received_at: Instant) {
        let runner = self.runner;
        let delivery = &received.delivery;
        let info = runner.info(delivery);
        runner.emit_task(&info, TaskEvent::Received);
        let span = tracing::info_span!(
            "task",
            queue = %runner.queue,
            event_type = delivery.event_type().unwrap_or("<undecodable>"),
            message_id = %delivery.message_id,
            receive_count = delivery.receive_count,
        );
        let Some(event_type) = delivery.event_type() else {
            self.undecodable(received, info, span, received_at);
            return;
        };
        let Some(handler) = self.route(event_type) else {
            span.in_scope(|| tracing::debug!("no handler for this event type: acknowledged and ignored"));
            inc(&runner.metrics.counters.ignored);
            runner.emit_task(&info, TaskEvent::Ignored);
            self.ack(received, info);
            return;
        };
        let task = Task::shared(received.clone());
        if self.placement.spawn() {
            inc(&runner.metrics.counters.spawned);
            let handle = execute::spawn(handler.clone(), task, span.clone());
            let flight = Flight::new(received, info, span, received_at);
            let key = self.flights.insert(flight, self.heartbeat_at(received_at));
            self.handlers.push(Running::spawned(key, handle));
            return;
        }
        // Called and polled once in the task's span; wrapped in it (`Instrumented`) only if it waits.
        let polled = {
            let _entered = span.enter();
            execute::local(handler, task).map(|mut future| match Pin::new(&mut future).poll(cx) {
                Poll::Ready(caught) => Ok(caught),
                Poll::Pending => Err(future),
            })
        };
        match polled {
            Ok(Ok(caught)) => self.finish(received, info, span, received_at, end_of(caught)),
            Ok(Err(future)) => {
                let future = future.instrument(span.clone());
                let flight = Flight::new(received, info, span, received_at);
                let key = self.flights.insert(flight, self.heartbeat_at(received_at));
                self.handlers.push(Running::local(key, future));
            }
            Err(panic) => self.finish(received, info, span, received_at, End::Panicked(panic)),
        }
    }

    /// The handler of `event_type`, through a one-entry cache (a queue often carries one type).
    fn route(&mut self, event_type: &str) -> Option<&'r Arc<dyn Handler>> {
        if let Some((ty, handler)) = self.last_route {
            if ty == event_type {
                return Some(handler);
            }
        }
        let router: &'r Router = &self.runner.router;
        match router.route_entry(event_type) {
            Some((ty, handler)) => {
                self.last_route = Some((ty, handler));
                Some(handler)
            }
            None => router.route(event_type),
        }
    }

    fn heartbeat_at(&self, received_at: Instant) -> Option<Instant> {
        self.heartbeat.map(|interval| received_at + interval)
    }

    /// A waiting handler ended.
    fn on_end(&mut self, key: Key, end: End) {
        let Some(flight) = self.flights.remove(key) else { return };
        let Flight { received, info, span, received_at, phase, .. } = flight;
        match phase {
            Phase::Cancelled(error) => {
                span.in_scope(|| match end {
                    End::Dropped => tracing::warn!("cancelled handler did not return within the grace period; dropped"),
                    _ => tracing::debug!("cancelled handler returned"),
                });
                self.abandoned(received, info, span, received_at, error);
            }
            Phase::Running | Phase::Stopped => self.finish(received, info, span, received_at, end),
        }
    }

    /// Takes an adaptive measurement (see [`Placement::measure`]).
    fn measure(&mut self, clock: Option<std::time::Instant>, handled: usize) {
        let limit = self.placement.limit();
        if self.placement.measure(clock.map(|c| c.elapsed()), handled) {
            tracing::info!(
                queue = %self.runner.queue, limit_ms = limit.unwrap_or_default().as_secs_f64() * 1e3,
                "handlers hold the runner for long: spawning each handler as a task of its own from now on"
            );
        }
    }

    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        if self.timer_at.is_none() || self.timer.as_mut().poll(cx).is_pending() {
            return false;
        }
        self.timer_at = None;
        self.on_tick(Instant::now());
        true
    }

    /// Arms the timer at the earliest deadline (unless it is armed earlier already).
    fn arm_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let stop = self.deadline.filter(|_| !self.hard_stopped && self.flights.len() > 0);
        let next = [self.flights.next_deadline(), self.acks.deadline(), stop].into_iter().flatten().min();
        let Some(at) = next else { return false };
        if self.timer_at.is_some_and(|armed| armed <= at) {
            return false;
        }
        self.timer.as_mut().reset(at);
        self.timer_at = Some(at);
        self.poll_timer(cx)
    }

    fn on_tick(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| d <= now) && !self.hard_stopped && self.flights.len() > 0 {
            self.hard_stop();
        }
        self.heartbeats(now);
        let mut expired = Vec::new();
        while let Some((key, _)) = self.flights.pop_due_grace(now) {
            expired.push(key);
        }
        if !expired.is_empty() {
            for running in self.handlers.iter_mut().filter(|r| expired.contains(&r.key())) {
                running.abort();
            }
        }
        if self.acks.deadline().is_some_and(|d| d <= now) {
            let batch = self.acks.take();
            self.push_flush(batch);
        }
    }

    /// Extends the visibility of every running handler that is due, 10 per request.
    fn heartbeats(&mut self, now: Instant) {
        let Some(interval) = self.heartbeat else { return };
        let visibility = self.runner.config.visibility_timeout;
        let (mut batch, mut next, mut limit) = (Vec::new(), Vec::new(), Vec::new());
        while let Some((key, flight)) = self.flights.pop_due_heartbeat(now) {
            let extension = cap_delay(visibility, flight.received_at);
            if extension.is_zero() {
                limit.push(key);
                continue;
            }
            let mut at = flight.due() + interval;
            if at <= now {
                at = now + interval;
            }
            next.push((key, at));
            batch.push(Extension { key, receipt: flight.received.delivery.receipt_handle.clone(), extension });
        }
        for (key, at) in next {
            self.flights.reschedule(key, at);
        }
        for key in limit {
            self.cancel(key, &heartbeat::in_flight_limit(), now);
        }
        let runner = self.runner;
        while !batch.is_empty() {
            let chunk: Vec<Extension> = batch.drain(..batch.len().min(MAX_BATCH_ENTRIES)).collect();
            self.push_io(Box::pin(async move { Io::Extended(heartbeat::extend(runner, chunk).await) }));
        }
    }

    /// A visibility extension failed: the handler is told and given its grace period.
    fn cancel(&mut self, key: Key, error: &str, now: Instant) {
        let error = format!("cannot extend the visibility timeout: {error}");
        let grace_until = now + self.runner.config.cancel_grace;
        if self.flights.cancel(key, error.clone(), grace_until) {
            if let Some(flight) = self.flights.get(key) {
                flight.span.in_scope(|| {
                    tracing::warn!("{error}; handler cancelled, the message will be redelivered");
                });
            }
        }
    }

    fn begin_stop(&mut self, deadline: Instant) {
        self.deadline = Some(deadline);
        // A receive in progress is abandoned; its permits go back.
        self.fetch = None;
        self.in_flight_at_stop = self.live;
        self.released_before = self.runner.metrics.counters.released.load(std::sync::atomic::Ordering::Relaxed);
        if self.live > 0 {
            tracing::info!(queue = %self.runner.queue, in_flight = self.live, "stopping: waiting for in-flight tasks");
        }
    }

    /// The stop's deadline passed: cancel and drop every waiting handler; their messages are released.
    fn hard_stop(&mut self) {
        self.hard_stopped = true;
        tracing::warn!(queue = %self.runner.queue, left = self.flights.len(), "stop deadline passed: releasing unfinished tasks");
        self.flights.stop_all();
        for running in self.handlers.iter_mut() {
            running.abort();
        }
    }

    /// Sends what waits in the buffers: deletes when there is no linger or when stopping, and releases.
    fn flush_buffers(&mut self) {
        if !self.acks.is_empty() && (self.runner.config.ack_linger.is_zero() || self.deadline.is_some()) {
            let batch = self.acks.take();
            self.push_flush(batch);
        }
        while !self.releases.is_empty() {
            let chunk: Vec<Unfinished> = self.releases.drain(..self.releases.len().min(MAX_BATCH_ENTRIES)).collect();
            let runner = self.runner;
            self.push_io(Box::pin(super::settle::release(runner, chunk)));
        }
    }

    pub(crate) fn push_flush(&mut self, batch: Vec<ack::AckEntry>) {
        let runner = self.runner;
        self.push_io(Box::pin(async move { Io::Flushed(ack::flush(runner, batch).await) }));
    }

    fn finished(&self) -> Option<RunnerReport> {
        if self.deadline.is_none()
            || self.live > 0
            || !self.io.is_empty()
            || !self.fresh.is_empty()
            || !self.acks.is_empty()
            || !self.releases.is_empty()
        {
            return None;
        }
        let released = self.runner.metrics.counters.released.load(std::sync::atomic::Ordering::Relaxed);
        Some(RunnerReport {
            queue: self.runner.queue.to_string(),
            was_running: true,
            in_flight: self.in_flight_at_stop,
            released: released - self.released_before,
        })
    }
}

/// Takes permits for up to `want` messages (after `delay`), then receives.
fn fetch(runner: &Runner, want: usize, delay: Duration) -> BoxFuture<'_, Option<Fetched<'_>>> {
    Box::pin(async move {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let permits = Permits::acquire(&runner.queue_permits, &runner.global_permits, want).await?;
        let options = ReceiveOptions {
            max_messages: permits.len(),
            wait_time: Some(runner.config.wait_time),
            visibility_timeout: Some(runner.config.visibility_timeout),
        };
        let result = runner.subscription.receive(options).await;
        Some(Fetched { permits, result })
    })
}

/// Completes with the stop deadline once a stop is requested (now, if the pool is gone).
async fn stopped(stop: &mut StopSignal) -> Instant {
    match stop.wait_for(Option::is_some).await {
        Ok(deadline) => (*deadline).unwrap_or_else(Instant::now),
        Err(_) => Instant::now(),
    }
}
