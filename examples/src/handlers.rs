//! The seed design's handlers: a welcome email on `USER_CREATED` and a comment notification on
//! `USER_COMMENT` (queue `email`); create a customer on `USER_CREATED` and record a payment on
//! `STRIPE_INCOMING_WEBHOOK` (queue `billing`). Creating the customer fails, every time, for one blocked
//! address: that task shows `TASK_WORKER_FAILED`, redelivery and finally the dead-letter queue.
//!
//! Handlers are stateless apart from [`Effects`], the demo's stand-in for the outside world (a mail
//! server, a payment provider): it records what was done, once per event, so redeliveries stay
//! idempotent.

use std::sync::{Arc, Mutex, PoisonError};

use bus_core::worker::{HandlerError, HandlerResult, Outcome, Router, Task};
use serde::Deserialize;

use crate::ledger::{event_id, Ledger};

/// The address the payment provider refuses: billing's `USER_CREATED` handler fails for it.
pub const BLOCKED_EMAIL: &str = "mallory@example.com";

/// Data of `USER_CREATED`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserCreated {
    /// The user's id.
    pub user_id: String,
    /// The display name.
    pub name: String,
    /// The email address.
    pub email: String,
}

/// Data of `USER_COMMENT`.
#[derive(Debug, Clone, Deserialize)]
pub struct UserComment {
    /// The comment's id.
    pub comment_id: String,
    /// Who wrote it.
    pub author: String,
    /// The text.
    pub text: String,
    /// Who is notified (the owner of the commented post).
    pub notify_email: String,
}

/// One thing a handler did in the outside world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// The queue whose handler did it.
    pub queue: String,
    /// The event it was done for.
    pub event_id: String,
    /// What was done.
    pub action: String,
}

/// What the handlers did (emails sent, customers created, payments recorded), once per queue and event.
#[derive(Debug, Clone, Default)]
pub struct Effects {
    done: Arc<Mutex<Vec<Effect>>>,
}

impl Effects {
    /// Nothing done yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `action` for the task's event; a redelivered event that was already handled records nothing.
    fn record(&self, task: &Task, action: String) {
        let id = event_id(task);
        let mut done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        if done.iter().any(|e| e.queue == task.queue() && e.event_id == id) {
            tracing::info!(queue = task.queue(), event_id = %id, "already done; redelivery ignored");
            return;
        }
        tracing::info!(queue = task.queue(), event_id = %id, "{action}");
        done.push(Effect { queue: task.queue().to_owned(), event_id: id, action });
    }

    /// Everything done, in order.
    pub fn all(&self) -> Vec<Effect> {
        self.done.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// The `email` queue's router: welcome email, comment notification. Unexpected types are recorded and
/// acknowledged (the seed design ignores them).
pub fn email_router(effects: &Effects, ledger: &Ledger) -> Router {
    let (welcome, notify) = (effects.clone(), effects.clone());
    Router::new()
        .on(
            "USER_CREATED",
            ledger.track(move |task: Task| {
                let effects = welcome.clone();
                async move {
                    let user: UserCreated = task.decode()?;
                    effects.record(&task, format!("welcome email to {} <{}>", user.name, user.email));
                    Ok(Outcome::Complete)
                }
            }),
        )
        .on(
            "USER_COMMENT",
            ledger.track(move |task: Task| {
                let effects = notify.clone();
                async move {
                    let comment: UserComment = task.decode()?;
                    effects.record(
                        &task,
                        format!(
                            "comment notification to {}: {} wrote {:?} ({})",
                            comment.notify_email, comment.author, comment.text, comment.comment_id
                        ),
                    );
                    Ok(Outcome::Complete)
                }
            }),
        )
        .fallback(ledger.track(ignore))
}

/// The `billing` queue's router: create a customer (refused for [`BLOCKED_EMAIL`]), record Stripe
/// payments.
pub fn billing_router(effects: &Effects, ledger: &Ledger) -> Router {
    let (customers, payments) = (effects.clone(), effects.clone());
    Router::new()
        .on(
            "USER_CREATED",
            ledger.track(move |task: Task| {
                let effects = customers.clone();
                async move {
                    let user: UserCreated = task.decode()?;
                    if user.email == BLOCKED_EMAIL {
                        return Err(HandlerError::msg(format!(
                            "payment provider refused to create a customer for {}: account under review",
                            user.email
                        )));
                    }
                    effects.record(&task, format!("billing customer cus_{} created for {}", user.user_id, user.email));
                    Ok(Outcome::Complete)
                }
            }),
        )
        .on(
            "STRIPE_INCOMING_WEBHOOK",
            ledger.track(move |task: Task| {
                let effects = payments.clone();
                async move {
                    let stripe = task.data();
                    let kind = stripe["type"].as_str().unwrap_or("?");
                    if kind != "invoice.paid" {
                        effects.record(&task, format!("stripe {kind} acknowledged (nothing to do)"));
                        return Ok(Outcome::Complete);
                    }
                    let invoice = &stripe["data"]["object"];
                    let customer = invoice["customer"].as_str().ok_or("invoice.paid without a customer")?;
                    let amount = invoice["amount_paid"].as_u64().ok_or("invoice.paid without amount_paid")?;
                    let currency = invoice["currency"].as_str().unwrap_or("usd").to_uppercase();
                    effects.record(
                        &task,
                        format!("payment of {}.{:02} {currency} recorded for {customer}", amount / 100, amount % 100),
                    );
                    Ok(Outcome::Complete)
                }
            }),
        )
        .fallback(ledger.track(ignore))
}

/// Acknowledges an event no route takes.
async fn ignore(task: Task) -> HandlerResult {
    tracing::info!(queue = task.queue(), event_type = task.event_type(), "no handler for this event type; ignored");
    Ok(Outcome::Complete)
}
